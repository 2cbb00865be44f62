package dev.swell.abtest;

import dev.swell.api.VersionSelector;
import java.util.Objects;

/**
 * One arm of an experiment: which version it serves and how much traffic it gets.
 *
 * @param name the variant's name, such as {@code control} or {@code canary}
 * @param selector the version it serves (an alias is followed as it moves)
 * @param role control, challenger or shadow
 * @param share for a challenger, its fraction of units (0 to 1); for a shadow, the fraction of
 *     requests copied to it; for the control, what the challengers leave
 */
public record Variant(String name, VersionSelector selector, Role role, double share) {

  /** What a variant does with traffic. */
  public enum Role {
    /** Serves every unit no challenger takes. */
    CONTROL,
    /** Serves its share of units, and may be promoted or rolled back. */
    CHALLENGER,
    /** Gets copies of requests; its answers are recorded, never returned. */
    SHADOW
  }

  /**
   * Validates.
   *
   * @param name not blank
   * @param selector not null
   * @param role not null
   * @param share from 0 to 1
   */
  public Variant {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(selector, "selector");
    Objects.requireNonNull(role, "role");
    if (name.isBlank()) {
      throw new IllegalArgumentException("a variant needs a name");
    }
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("share of variant '" + name + "' must be from 0 to 1, was " + share);
    }
  }
}
