package dev.swell.abtest;

/**
 * What {@link Experiment#decide} concluded.
 *
 * @param kind continue, promote or roll back
 * @param variant the challenger concerned, or null to continue with none
 * @param reason the figures behind it, for logs and people
 * @param pValue the test's two-sided p-value, or NaN when no test ran
 * @param difference challenger minus control (metric mean or error rate), or NaN
 */
public record Decision(Kind kind, String variant, String reason, double pValue, double difference) {

  /** The three outcomes. */
  public enum Kind {
    /** Not enough evidence yet: keep collecting. */
    CONTINUE,
    /** The challenger is better: make it the version the alias names. */
    PROMOTE,
    /** The challenger is worse or broke a guardrail: stop sending it traffic. */
    ROLLBACK
  }
}
