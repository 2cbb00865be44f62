package dev.swell.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * One change of an experiment: created, ramped, stopped, re-weighted, decided.
 *
 * @param revision the revision the change produced
 * @param at when
 * @param actor who (a user, or a replica that decided)
 * @param kind what kind of change, such as {@code created}, {@code ramp}, {@code rollback},
 *     {@code promote}, {@code reweight}, {@code stop}
 * @param summary one line a person reads, with the figures behind a decision
 * @param figures the figures as a JSON object in text (may be {@code {}})
 */
public record ExperimentChange(long revision, Instant at, String actor, String kind, String summary,
    String figures) {

  /**
   * Validates.
   *
   * @param revision revision
   * @param at time
   * @param actor actor
   * @param kind kind
   * @param summary summary
   * @param figures figures
   */
  public ExperimentChange {
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(summary, "summary");
    Objects.requireNonNull(figures, "figures");
  }
}
