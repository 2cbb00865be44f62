package dev.swell.registry;

import java.time.Instant;
import java.util.Objects;

/**
 * One move of an alias, as its history records it.
 *
 * @param alias the alias
 * @param from the version it pointed at before, or null if it was new
 * @param to the version it points at after
 * @param at when it moved
 * @param actor who moved it
 * @param action {@code set}, {@code promote} or {@code rollback}
 */
public record AliasMove(String alias, SemVer from, SemVer to, Instant at, String actor, String action) {

  /**
   * Validates the components.
   *
   * @param alias alias
   * @param from previous target or null
   * @param to new target
   * @param at time
   * @param actor actor
   * @param action action
   */
  public AliasMove {
    Objects.requireNonNull(alias, "alias");
    Objects.requireNonNull(to, "to");
    Objects.requireNonNull(at, "at");
    Objects.requireNonNull(actor, "actor");
    Objects.requireNonNull(action, "action");
  }
}
