package dev.swell.abtest;

import dev.swell.api.VersionSelector;
import java.util.Objects;

/**
 * One arm of an experiment: its name, which version it serves, and what it does with traffic.
 *
 * @param name the variant's name, such as {@code control} or {@code canary}
 * @param selector the version it serves (an alias is followed as it moves)
 * @param role control, challenger or shadow
 */
public record Variant(String name, VersionSelector selector, Role role) {

  /** What a variant does with traffic. */
  public enum Role {
    /** Serves every unit no challenger takes (GrowthBook's variation 0). */
    CONTROL,
    /** Serves its share of units, and may be promoted or rolled back. */
    CHALLENGER,
    /** Gets copies of requests; its answers are recorded, never returned. */
    SHADOW
  }

  /**
   * Validates.
   *
   * @param name 1 to 64 letters, digits, {@code .}, {@code _} or {@code -}
   * @param selector not null
   * @param role not null
   */
  public Variant {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(selector, "selector");
    Objects.requireNonNull(role, "role");
    if (!name.matches("[A-Za-z0-9][A-Za-z0-9._-]{0,63}")) {
      throw new IllegalArgumentException("variant name '" + name + "' must be 1 to 64 letters, digits, "
          + "'.', '_' or '-', starting with a letter or digit");
    }
  }
}
