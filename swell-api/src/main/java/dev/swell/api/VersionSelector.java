package dev.swell.api;

import java.util.Objects;

/**
 * Which version of a model to serve: an exact version, an alias (such as {@code production}), the
 * latest version, the latest stable (non-pre-release) version, or the highest version in a range
 * (such as {@code ^1.2} or {@code >=1.0.0 <2.0.0}). A {@link dev.swell.api.spi.ModelRepository}
 * interprets it.
 *
 * <pre>{@code
 * VersionSelector.alias("production");
 * VersionSelector.exact("1.4.2");
 * VersionSelector.parse("^1.2");   // a range
 * }</pre>
 *
 * @param kind how to select
 * @param value the version, alias or range text; empty for the latest kinds
 */
public record VersionSelector(Kind kind, String value) {

  /** How a selector picks a version. */
  public enum Kind {
    /** One exact version. */
    EXACT,
    /** The version an alias points at. */
    ALIAS,
    /** The highest version, pre-releases included. */
    LATEST,
    /** The highest version that is not a pre-release. */
    LATEST_STABLE,
    /** The highest version within a range. */
    RANGE
  }

  /**
   * Validates the components.
   *
   * @param kind how to select
   * @param value the version, alias or range text
   */
  public VersionSelector {
    Objects.requireNonNull(kind, "kind");
    Objects.requireNonNull(value, "value");
    if (value.isBlank() && kind != Kind.LATEST && kind != Kind.LATEST_STABLE) {
      throw new IllegalArgumentException("a " + kind + " selector needs a value");
    }
  }

  /**
   * Selects one exact version.
   *
   * @param version the version, such as {@code 1.4.2}
   * @return the selector
   */
  public static VersionSelector exact(String version) {
    return new VersionSelector(Kind.EXACT, version);
  }

  /**
   * Selects the version an alias points at, following it when it moves.
   *
   * @param alias the alias, such as {@code production}
   * @return the selector
   */
  public static VersionSelector alias(String alias) {
    return new VersionSelector(Kind.ALIAS, alias);
  }

  /**
   * Selects the highest version, pre-releases included.
   *
   * @return the selector
   */
  public static VersionSelector latest() {
    return new VersionSelector(Kind.LATEST, "");
  }

  /**
   * Selects the highest version that is not a pre-release.
   *
   * @return the selector
   */
  public static VersionSelector latestStable() {
    return new VersionSelector(Kind.LATEST_STABLE, "");
  }

  /**
   * Selects the highest version within a range such as {@code ^1.2}, {@code ~1.2.3} or
   * {@code >=1.0.0 <2.0.0}.
   *
   * @param range the range
   * @return the selector
   */
  public static VersionSelector range(String range) {
    return new VersionSelector(Kind.RANGE, range);
  }

  /**
   * Reads a selector from text: {@code latest}, {@code latest-stable}, a version such as
   * {@code 1.2.3} (exact), text starting with {@code ^ ~ > < =} or containing a space (a range),
   * and anything else as an alias.
   *
   * @param text the text
   * @return the selector
   * @throws IllegalArgumentException if the text is blank
   */
  public static VersionSelector parse(String text) {
    String t = text.strip();
    if (t.isEmpty()) {
      throw new IllegalArgumentException("version selector is blank");
    }
    if (t.equals("latest")) {
      return latest();
    }
    if (t.equals("latest-stable")) {
      return latestStable();
    }
    char c = t.charAt(0);
    if (c == '^' || c == '~' || c == '>' || c == '<' || c == '=' || t.indexOf(' ') >= 0) {
      return range(t);
    }
    if (Character.isDigit(c)) {
      return exact(t);
    }
    return alias(t);
  }

  /**
   * Returns whether the selected version may change over time (every kind but {@link Kind#EXACT}).
   *
   * @return whether it follows
   */
  public boolean isMoving() {
    return kind != Kind.EXACT;
  }

  @Override
  public String toString() {
    switch (kind) {
      case LATEST:
        return "latest";
      case LATEST_STABLE:
        return "latest-stable";
      case ALIAS:
        return "alias " + value;
      default:
        return value;
    }
  }
}
