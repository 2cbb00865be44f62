package dev.swell.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * One line of a model's append-only event log: a version published or deleted, an alias moved or
 * rolled back.
 *
 * @param type what happened
 * @param model the model
 * @param version the version published or deleted, or the alias's new target
 * @param alias the alias moved, or null
 * @param previous the alias's previous target, or null
 * @param at when
 * @param actor who
 */
public record RegistryEvent(
    Type type, String model, SemVer version, String alias, SemVer previous, Instant at, String actor) {

  /** What happened. */
  public enum Type {
    /** A version became visible. */
    PUBLISHED,
    /** An alias was set or promoted to a version. */
    ALIAS_MOVED,
    /** An alias went back to its previous target. */
    ROLLED_BACK,
    /** A version was garbage-collected. */
    DELETED
  }

  /**
   * Validates the components.
   *
   * @param type type
   * @param model model
   * @param version version
   * @param alias alias or null
   * @param previous previous target or null
   * @param at time
   * @param actor actor
   */
  public RegistryEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
  }
}
