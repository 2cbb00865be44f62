package dev.swell.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * One line of a model's append-only event log: a version published or deleted, an alias moved or
 * rolled back, an experiment on the model changed or decided.
 *
 * @param type what happened
 * @param model the model
 * @param version the version published or deleted, or the alias's new target; for an experiment
 *     change, the version it concerns, or null
 * @param alias the alias moved, or null
 * @param previous the alias's previous target, or null
 * @param at when
 * @param actor who
 * @param experiment the experiment's key (experiment changes only), or null
 * @param detail what changed and why, with its figures (experiment changes only), or null
 */
public record RegistryEvent(Type type, String model, SemVer version, String alias, SemVer previous,
    Instant at, String actor, String experiment, String detail) {

  /** What happened. */
  public enum Type {
    /** A version became visible. */
    PUBLISHED,
    /** An alias was set or promoted to a version. */
    ALIAS_MOVED,
    /** An alias went back to its previous target. */
    ROLLED_BACK,
    /** A version was garbage-collected. */
    DELETED,
    /** An experiment was created, changed (ramp, stop, new weights) or decided. */
    EXPERIMENT,
    /** A version was signed; the detail holds the key's hint. */
    SIGNED,
    /** An alias was deleted. */
    ALIAS_DELETED
  }

  /**
   * An event about versions and aliases (no experiment).
   *
   * @param type type
   * @param model model
   * @param version version
   * @param alias alias or null
   * @param previous previous target or null
   * @param at time
   * @param actor actor
   */
  public RegistryEvent(Type type, String model, SemVer version, String alias, SemVer previous,
      Instant at, String actor) {
    this(type, model, version, alias, previous, at, actor, null, null);
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
   * @param experiment experiment key or null
   * @param detail detail or null
   */
  public RegistryEvent {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(model, "model");
    if (type == Type.EXPERIMENT) {
      Objects.requireNonNull(experiment, "experiment");
    } else {
      Objects.requireNonNull(version, "version");
    }
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
  }
}
