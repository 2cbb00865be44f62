package dev.swell.abtest;

import dev.swell.abtest.stats.Effect;
import java.util.List;
import java.util.Objects;

/**
 * What a decision concluded, with the figures behind it (stored in the registry's history with
 * every change it makes).
 *
 * @param kind what to do
 * @param variant the challenger concerned, or null
 * @param reason one line for people, with the deciding figures
 * @param figures per variation (control first): what was measured
 * @param srmPValue the sample-ratio-mismatch p-value, or NaN when there were no units
 * @param weights for {@link Kind#REWEIGHT}: the new share of each variation; else null
 */
public record Decision(Kind kind, String variant, String reason, List<Figures> figures, double srmPValue,
    double[] weights) {

  /** The outcomes. */
  public enum Kind {
    /** Not enough evidence yet: keep collecting. */
    CONTINUE,
    /** The challenger is better: point the alias at its version and end the experiment. */
    PROMOTE,
    /** The challenger broke a guardrail or is worse: its share goes to 0. */
    ROLLBACK,
    /** The units do not follow the configured shares: no promotion until that is explained. */
    HOLD,
    /** A bandit's shares move to {@link Decision#weights()}. */
    REWEIGHT
  }

  /**
   * One variation's figures.
   *
   * @param variant its name
   * @param share its share of units when decided
   * @param units distinct units exposed to it
   * @param requests requests it served
   * @param errorRate failures / requests
   * @param metricCount samples of the policy's metric
   * @param metricMean their mean
   * @param p99Micros p99 latency of its model calls, NaN without calls
   * @param effect the metric's effect against the control (null for the control, or too few samples)
   * @param errorIncreaseLowerBound always-valid lower bound of its error rate minus the control's
   *     (NaN for the control)
   */
  public record Figures(String variant, double share, long units, long requests, double errorRate, long metricCount,
      double metricMean, double p99Micros, Effect effect, double errorIncreaseLowerBound) {}

  /**
   * Validates and copies.
   *
   * @param kind kind
   * @param variant variant
   * @param reason reason
   * @param figures figures
   * @param srmPValue SRM p-value
   * @param weights weights
   */
  public Decision {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(reason, "reason");
    figures = List.copyOf(figures);
    weights = weights == null ? null : weights.clone();
  }

  /**
   * Returns a copy of the new weights.
   *
   * @return the weights, or null
   */
  @Override
  public double[] weights() {
    return weights == null ? null : weights.clone();
  }
}
