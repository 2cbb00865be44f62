package dev.swell.abtest;

import dev.swell.abtest.assign.GrowthBook;
import dev.swell.abtest.stats.Effect;
import dev.swell.abtest.stats.Sequential;
import dev.swell.abtest.stats.Summary;
import dev.swell.abtest.stats.Tests;
import dev.swell.abtest.stats.Thompson;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The decision an experiment's policy makes on what was recorded: a pure function of the
 * definition, every replica's totals and the exposed units, with no runtime, clock or registry,
 * so a test, a simulation or a dashboard can call it. {@link Experiment} calls it on a schedule
 * in the one replica that holds the registry's lock, and applies what it returns.
 *
 * <p>Order (see {@link DecisionPolicy}): guardrails first (any challenger breaking one is rolled
 * back at once), then the sample-ratio check (a mismatch holds promotion), then a bandit's
 * re-weighting, or the metric's test: promote the best significant winner, roll back a
 * significant loser, else continue.
 */
public final class Decisions {

  private Decisions() {}

  /**
   * Decides.
   *
   * @param def the experiment's definition
   * @param totals per variation name: what every replica recorded, added up
   * @param exposures distinct units per revision and variation
   * @param banditPeriod the number of the bandit period now (time divided by the bandit's
   *     interval); seeds its draws
   * @return the decision, with its figures
   */
  public static Decision decide(ExperimentDefinition def, Map<String, VariantTotals> totals, Exposures exposures,
      long banditPeriod) {
    DecisionPolicy p = def.policy();
    List<Variant> vars = def.variations();
    int k = vars.size();
    long[] units = exposures.total(k);
    VariantTotals ctl = totals.getOrDefault(vars.get(0).name(), VariantTotals.EMPTY);
    List<Integer> live = new ArrayList<>();
    for (int i = 1; i < k; i++) {
      if (def.allocation().share(i) > 0 && !def.stoppedVariants().contains(vars.get(i).name())) {
        live.add(i);
      }
    }
    double alpha = p.alpha() / Math.max(1, live.size());
    List<Decision.Figures> figures = new ArrayList<>();
    Effect[] effects = new Effect[k];
    double[] errorBounds = new double[k];
    for (int i = 0; i < k; i++) {
      VariantTotals t = totals.getOrDefault(vars.get(i).name(), VariantTotals.EMPTY);
      Summary.Snapshot m = t.metric(p.metric());
      Effect effect = null;
      double errorBound = Double.NaN;
      if (i > 0) {
        Summary.Snapshot mc = ctl.metric(p.metric());
        if (m.count() >= p.minUnits() && mc.count() >= p.minUnits()) {
          effect = p.test() == DecisionPolicy.Test.SEQUENTIAL
              ? Sequential.twoSided(mc, m, alpha, p.tuning(), p.relative())
              : Tests.welch(mc, m, alpha, p.relative());
        }
        long okRequests = t.requests() - t.cached();
        long ctlRequests = ctl.requests() - ctl.cached();
        if (okRequests >= p.minUnits() && ctlRequests >= p.minUnits()) {
          Effect e = Sequential.lowerBound(Summary.Snapshot.ofRate(ctl.errors(), ctlRequests),
              Summary.Snapshot.ofRate(t.errors(), okRequests), p.alpha(), p.tuning(), false);
          errorBound = e.informative() ? e.lower() : Double.NaN;
        }
      }
      effects[i] = effect;
      errorBounds[i] = errorBound;
      figures.add(new Decision.Figures(vars.get(i).name(), def.allocation().share(i), units[i], t.requests(),
          t.errorRate(), m.count(), m.mean(), t.latencyQuantile(0.99), effect, errorBound));
    }
    double srm = srm(def, exposures);
    if (def.status() != ExperimentDefinition.Status.RUNNING) {
      return new Decision(Decision.Kind.CONTINUE, null, "the experiment is " + def.status().name().toLowerCase(Locale.ROOT),
          figures, srm, null);
    }

    // 1. guardrails
    for (int i : live) {
      String name = vars.get(i).name();
      VariantTotals t = totals.getOrDefault(name, VariantTotals.EMPTY);
      if (!Double.isNaN(p.maxErrorRateIncrease()) && errorBounds[i] > p.maxErrorRateIncrease()) {
        return new Decision(Decision.Kind.ROLLBACK, name, String.format(Locale.ROOT,
            "error rate %.4f against the control's %.4f: the increase is above %.4f with %.0f%% confidence "
                + "(always-valid lower bound %+.4f; %d and %d requests)", t.errorRate(), ctl.errorRate(),
            p.maxErrorRateIncrease(), (1 - p.alpha()) * 100, errorBounds[i], t.requests(), ctl.requests()),
            figures, srm, null);
      }
      if (!Double.isNaN(p.maxP99Increase()) && t.latencyMicros().count() >= p.minUnits()
          && ctl.latencyMicros().count() >= p.minUnits()) {
        double p99 = t.latencyQuantile(0.99);
        double ctlP99 = ctl.latencyQuantile(0.99);
        if (p99 > ctlP99 * (1 + p.maxP99Increase())) {
          return new Decision(Decision.Kind.ROLLBACK, name, String.format(Locale.ROOT,
              "p99 latency %.0f µs against the control's %.0f µs, more than +%.0f%% (%d and %d calls)", p99, ctlP99,
              p.maxP99Increase() * 100, t.latencyMicros().count(), ctl.latencyMicros().count()), figures, srm, null);
        }
      }
      for (Map.Entry<String, Double> floor : p.floors().entrySet()) {
        Summary.Snapshot m = t.metric(floor.getKey());
        if (m.count() >= p.minUnits()) {
          Effect e = Sequential.mean(m, p.alpha(), p.tuning());
          if (e.informative() && e.upper() < floor.getValue()) {
            return new Decision(Decision.Kind.ROLLBACK, name, String.format(Locale.ROOT,
                "%s mean %.6g is below its floor %.6g with %.0f%% confidence (upper bound %.6g, %d samples)",
                floor.getKey(), m.mean(), floor.getValue(), (1 - p.alpha()) * 100, e.upper(), m.count()),
                figures, srm, null);
          }
        }
      }
    }

    // 2. sample ratio
    boolean mismatch = srm < p.srmThreshold();

    // 3. bandit
    if (def.bandit().isPresent()) {
      return bandit(def, totals, live, banditPeriod, figures, srm, mismatch);
    }

    // 4. the metric
    Decision best = null;
    List<String> waiting = new ArrayList<>();
    for (int i : live) {
      String name = vars.get(i).name();
      Effect e = effects[i];
      if (e == null || !e.informative()) {
        waiting.add(name + " (" + figures.get(i).metricCount() + " and " + figures.get(0).metricCount() + " of "
            + p.minUnits() + " samples of " + p.metric() + ")");
        continue;
      }
      boolean significant = e.lower() > 0 || e.upper() < 0;
      boolean better = p.goal() == DecisionPolicy.Goal.MAXIMIZE ? e.lower() > 0 : e.upper() < 0;
      String summary = String.format(Locale.ROOT, "%s %s: %.6g against the control's %.6g, effect %+.4g%s "
              + "(%.0f%% %s interval [%+.4g, %+.4g], p = %.3g; %d and %d samples)", name, p.metric(),
          figures.get(i).metricMean(), figures.get(0).metricMean(), p.relative() ? e.estimate() * 100 : e.estimate(),
          p.relative() ? "%" : "", (1 - alpha) * 100, p.test() == DecisionPolicy.Test.SEQUENTIAL ? "always-valid" : "fixed-horizon",
          p.relative() ? e.lower() * 100 : e.lower(), p.relative() ? e.upper() * 100 : e.upper(), e.pValue(),
          figures.get(i).metricCount(), figures.get(0).metricCount());
      if (significant && !better) {
        return new Decision(Decision.Kind.ROLLBACK, name, "worse than the control: " + summary, figures, srm, null);
      }
      if (significant && (best == null || e.pValue() < best.figures().get(def.indexOf(best.variant())).effect().pValue())) {
        best = new Decision(Decision.Kind.PROMOTE, name, "better than the control: " + summary, figures, srm, null);
      } else {
        waiting.add(summary);
      }
    }
    if (best != null && mismatch) {
      return new Decision(Decision.Kind.HOLD, best.variant(), String.format(Locale.ROOT,
          "sample ratio mismatch (p = %.3g < %.3g): units per variation %s do not follow the shares; promotion of "
              + "%s held. %s", srm, p.srmThreshold(), java.util.Arrays.toString(units), best.variant(), best.reason()),
          figures, srm, null);
    }
    if (best != null) {
      return best;
    }
    if (mismatch) {
      return new Decision(Decision.Kind.HOLD, null, String.format(Locale.ROOT,
          "sample ratio mismatch (p = %.3g < %.3g): units per variation %s do not follow the shares", srm,
          p.srmThreshold(), java.util.Arrays.toString(units)), figures, srm, null);
    }
    return new Decision(Decision.Kind.CONTINUE, null, live.isEmpty() ? "no challenger takes traffic"
        : "no significant difference yet: " + String.join("; ", waiting), figures, srm, null);
  }

  private static Decision bandit(ExperimentDefinition def, Map<String, VariantTotals> totals, List<Integer> live,
      long period, List<Decision.Figures> figures, double srm, boolean mismatch) {
    BanditPolicy b = def.bandit().orElseThrow();
    DecisionPolicy p = def.policy();
    List<Integer> arms = new ArrayList<>();
    arms.add(0);
    arms.addAll(live);
    List<Summary.Snapshot> snaps = new ArrayList<>();
    for (int i : arms) {
      Summary.Snapshot m = totals.getOrDefault(def.variations().get(i).name(), VariantTotals.EMPTY).metric(p.metric());
      if (m.count() < b.burnIn()) {
        return new Decision(Decision.Kind.CONTINUE, null, "bandit burn-in: " + def.variations().get(i).name() + " has "
            + m.count() + " of " + b.burnIn() + " samples of " + p.metric(), figures, srm, null);
      }
      snaps.add(m);
    }
    if (mismatch) {
      return new Decision(Decision.Kind.HOLD, null, String.format(Locale.ROOT,
          "sample ratio mismatch (p = %.3g): the bandit holds its weights", srm), figures, srm, null);
    }
    double floor = Math.min(b.floor(), 1.0 / arms.size());
    double ceiling = Math.max(b.ceiling(), 1.0 / arms.size());
    long seed = GrowthBook.fnv1a32(def.allocation().seed() + "/bandit") * 1_000_003L + period;
    double[] w = Thompson.weights(snaps, p.goal() == DecisionPolicy.Goal.MAXIMIZE, seed, b.draws(), floor, ceiling);
    double covered = 0;
    for (int i : arms) {
      covered += def.allocation().share(i);
    }
    double[] shares = new double[def.variations().size()];
    StringBuilder sb = new StringBuilder("bandit period " + period + ": ");
    boolean moved = false;
    for (int j = 0; j < arms.size(); j++) {
      int i = arms.get(j);
      shares[i] = w[j] * covered;
      moved |= Math.abs(shares[i] - def.allocation().share(i)) > 1e-3;
      sb.append(j == 0 ? "" : ", ").append(def.variations().get(i).name())
          .append(String.format(Locale.ROOT, " %.1f%% (mean %.6g, n %d)", shares[i] * 100, snaps.get(j).mean(),
              snaps.get(j).count()));
    }
    if (!moved) {
      return new Decision(Decision.Kind.CONTINUE, null, sb + "; weights unchanged", figures, srm, null);
    }
    return new Decision(Decision.Kind.REWEIGHT, null, sb.toString(), figures, srm, shares);
  }

  /**
   * The sample-ratio p-value: units per variation against what the shares in force when they
   * arrived predict (per revision, the variations' shares normalized over the units in the
   * experiment). NaN without units.
   */
  static double srm(ExperimentDefinition def, Exposures exposures) {
    int k = def.variations().size();
    long[] observed = new long[k];
    double[] expected = new double[k];
    long total = 0;
    for (Map.Entry<Long, long[]> e : exposures.byRevision().entrySet()) {
      double[] shares = def.sharesAt(e.getKey());
      long[] units = e.getValue();
      long n = 0;
      for (int i = 0; i < Math.min(k, units.length); i++) {
        observed[i] += units[i];
        n += units[i];
      }
      if (shares == null || n == 0) {
        continue;
      }
      double sum = 0;
      for (double s : shares) {
        sum += s;
      }
      for (int i = 0; i < k && i < shares.length; i++) {
        expected[i] += n * shares[i] / sum;
      }
      total += n;
    }
    if (total == 0) {
      return Double.NaN;
    }
    return Tests.chiSquareGoodnessOfFit(observed, expected);
  }
}
