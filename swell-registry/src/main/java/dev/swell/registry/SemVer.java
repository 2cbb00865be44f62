package dev.swell.registry;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;

/**
 * A semantic version as semver.org 2.0.0 defines it: {@code MAJOR.MINOR.PATCH}, an optional
 * pre-release ({@code -rc.1}) and optional build metadata ({@code +build.5}).
 *
 * <p>{@link #compareTo} is the specification's precedence (section 11): build metadata is ignored,
 * so {@code 1.0.0+a} and {@code 1.0.0+b} compare as equal although they are not {@link #equals}
 * (as with {@link java.math.BigDecimal}). {@link #TOTAL_ORDER} breaks such ties by the build
 * metadata and is consistent with {@code equals}; use it to sort and for sorted collections.
 *
 * <p>Instances are immutable and safe to share between threads.
 *
 * <pre>{@code
 * SemVer v = SemVer.parse("1.4.0-rc.2");
 * v.isPreRelease();                             // true
 * v.compareTo(SemVer.parse("1.4.0")) < 0;       // true
 * v.bumpMinor();                                // 1.4.0
 * }</pre>
 */
public final class SemVer implements Comparable<SemVer> {

  /** Precedence, then build metadata (identifier by identifier, fewer identifiers first). */
  public static final Comparator<SemVer> TOTAL_ORDER = (a, b) -> {
    int c = a.compareTo(b);
    return c != 0 ? c : compareIdentifiers(a.build, b.build, false);
  };

  private final long major;
  private final long minor;
  private final long patch;
  private final List<String> preRelease;
  private final List<String> build;

  private SemVer(long major, long minor, long patch, List<String> preRelease, List<String> build) {
    this.major = major;
    this.minor = minor;
    this.patch = patch;
    this.preRelease = preRelease;
    this.build = build;
  }

  /**
   * Returns a release version.
   *
   * @param major at least 0
   * @param minor at least 0
   * @param patch at least 0
   * @return the version
   * @throws IllegalArgumentException if a number is negative
   */
  public static SemVer of(long major, long minor, long patch) {
    if (major < 0 || minor < 0 || patch < 0) {
      throw new IllegalArgumentException("version numbers must be >= 0: " + major + "." + minor + "." + patch);
    }
    return new SemVer(major, minor, patch, List.of(), List.of());
  }

  /**
   * Parses a version.
   *
   * @param text such as {@code 1.2.3}, {@code 1.0.0-alpha.1} or {@code 1.0.0+20130313144700}
   * @return the version
   * @throws IllegalArgumentException if the text is not a semantic version; the message says why
   * @throws NullPointerException if text is null
   */
  public static SemVer parse(String text) {
    Objects.requireNonNull(text, "version");
    String core = text;
    List<String> build = List.of();
    List<String> pre = List.of();
    int plus = core.indexOf('+');
    if (plus >= 0) {
      build = identifiers(text, core.substring(plus + 1), "build metadata", false);
      core = core.substring(0, plus);
    }
    int dash = core.indexOf('-');
    if (dash >= 0) {
      pre = identifiers(text, core.substring(dash + 1), "pre-release", true);
      core = core.substring(0, dash);
    }
    String[] parts = core.split("\\.", -1);
    if (parts.length != 3) {
      throw bad(text, "expected MAJOR.MINOR.PATCH");
    }
    long[] numbers = new long[3];
    String[] names = {"major", "minor", "patch"};
    for (int i = 0; i < 3; i++) {
      String p = parts[i];
      if (p.isEmpty() || !p.chars().allMatch(c -> c >= '0' && c <= '9')) {
        throw bad(text, names[i] + " '" + p + "' is not a number");
      }
      if (p.length() > 1 && p.charAt(0) == '0') {
        throw bad(text, names[i] + " has a leading zero");
      }
      try {
        numbers[i] = Long.parseLong(p);
      } catch (NumberFormatException e) {
        throw bad(text, names[i] + " is larger than " + Long.MAX_VALUE);
      }
    }
    return new SemVer(numbers[0], numbers[1], numbers[2], pre, build);
  }

  private static List<String> identifiers(String text, String part, String what, boolean numericRules) {
    if (part.isEmpty()) {
      throw bad(text, what + " is empty");
    }
    List<String> ids = new ArrayList<>();
    for (String id : part.split("\\.", -1)) {
      if (id.isEmpty()) {
        throw bad(text, what + " has an empty identifier");
      }
      for (int i = 0; i < id.length(); i++) {
        char c = id.charAt(i);
        boolean ok = (c >= '0' && c <= '9') || (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || c == '-';
        if (!ok) {
          throw bad(text, what + " identifier '" + id + "' has a character other than [0-9A-Za-z-]");
        }
      }
      if (numericRules && isNumeric(id) && id.length() > 1 && id.charAt(0) == '0') {
        throw bad(text, what + " identifier '" + id + "' is numeric with a leading zero");
      }
      ids.add(id);
    }
    return Collections.unmodifiableList(ids);
  }

  private static IllegalArgumentException bad(String text, String why) {
    return new IllegalArgumentException("'" + text + "' is not a semantic version: " + why);
  }

  private static boolean isNumeric(String id) {
    for (int i = 0; i < id.length(); i++) {
      char c = id.charAt(i);
      if (c < '0' || c > '9') {
        return false;
      }
    }
    return true;
  }

  /**
   * Returns the major number.
   *
   * @return major
   */
  public long major() {
    return major;
  }

  /**
   * Returns the minor number.
   *
   * @return minor
   */
  public long minor() {
    return minor;
  }

  /**
   * Returns the patch number.
   *
   * @return patch
   */
  public long patch() {
    return patch;
  }

  /**
   * Returns the pre-release identifiers.
   *
   * @return an unmodifiable list, empty for a release
   */
  public List<String> preRelease() {
    return preRelease;
  }

  /**
   * Returns the build-metadata identifiers.
   *
   * @return an unmodifiable list, possibly empty
   */
  public List<String> build() {
    return build;
  }

  /**
   * Returns whether this is a pre-release.
   *
   * @return whether it has pre-release identifiers
   */
  public boolean isPreRelease() {
    return !preRelease.isEmpty();
  }

  /**
   * Returns the next major version: 1.2.3 and 2.0.0-rc.1 become 2.0.0 (a pre-release of a major
   * release becomes that release).
   *
   * @return the bumped version, without pre-release or build metadata
   * @throws ArithmeticException if the bumped number would exceed {@link Long#MAX_VALUE}
   */
  public SemVer bumpMajor() {
    if (isPreRelease() && minor == 0 && patch == 0) {
      return of(major, 0, 0);
    }
    return of(Math.addExact(major, 1), 0, 0);
  }

  /**
   * Returns the next minor version: 1.2.3 becomes 1.3.0; 1.3.0-rc becomes 1.3.0.
   *
   * @return the bumped version, without pre-release or build metadata
   * @throws ArithmeticException if the bumped number would exceed {@link Long#MAX_VALUE}
   */
  public SemVer bumpMinor() {
    if (isPreRelease() && patch == 0) {
      return of(major, minor, 0);
    }
    return of(major, Math.addExact(minor, 1), 0);
  }

  /**
   * Returns the next patch version: 1.2.3 becomes 1.2.4; 1.2.3-rc.1 becomes 1.2.3.
   *
   * @return the bumped version, without pre-release or build metadata
   * @throws ArithmeticException if the bumped number would exceed {@link Long#MAX_VALUE}
   */
  public SemVer bumpPatch() {
    if (isPreRelease()) {
      return of(major, minor, patch);
    }
    return of(major, minor, Math.addExact(patch, 1));
  }

  /**
   * Returns this version with a pre-release part (and no build metadata).
   *
   * @param preRelease such as {@code rc.1}: dot-separated identifiers, without a {@code +build} part
   * @return the version
   * @throws IllegalArgumentException if the pre-release text is invalid or contains build metadata
   * @throws NullPointerException if preRelease is null
   */
  public SemVer withPreRelease(String preRelease) {
    Objects.requireNonNull(preRelease, "preRelease");
    if (preRelease.indexOf('+') >= 0) {
      throw new IllegalArgumentException("pre-release '" + preRelease + "' contains '+': build metadata is not part of a pre-release");
    }
    return parse(major + "." + minor + "." + patch + "-" + preRelease);
  }

  /**
   * Returns whether two versions have the same precedence (equal but for build metadata).
   *
   * @param other the other version
   * @return whether {@code compareTo} is 0
   */
  public boolean precedenceEquals(SemVer other) {
    return compareTo(other) == 0;
  }

  /**
   * Compares by semver.org precedence: numbers numerically, a pre-release below its release,
   * pre-release identifiers one by one (numeric ones numerically and below alphanumeric ones, a
   * longer list above its prefix); build metadata ignored.
   *
   * @param o the other version
   * @return negative, zero or positive
   */
  @Override
  public int compareTo(SemVer o) {
    int c = Long.compare(major, o.major);
    if (c == 0) {
      c = Long.compare(minor, o.minor);
    }
    if (c == 0) {
      c = Long.compare(patch, o.patch);
    }
    if (c != 0) {
      return c;
    }
    if (preRelease.isEmpty() || o.preRelease.isEmpty()) {
      return Boolean.compare(preRelease.isEmpty(), o.preRelease.isEmpty());
    }
    return compareIdentifiers(preRelease, o.preRelease, true);
  }

  private static int compareIdentifiers(List<String> a, List<String> b, boolean numericAware) {
    int n = Math.min(a.size(), b.size());
    for (int i = 0; i < n; i++) {
      String x = a.get(i);
      String y = b.get(i);
      int c;
      boolean xn = numericAware && isNumeric(x);
      boolean yn = numericAware && isNumeric(y);
      if (xn && yn) {
        c = x.length() < 19 && y.length() < 19 ? Long.compare(Long.parseLong(x), Long.parseLong(y))
            : new BigInteger(x).compareTo(new BigInteger(y));
      } else if (xn != yn) {
        c = xn ? -1 : 1;
      } else {
        c = x.compareTo(y); // ASCII order
      }
      if (c != 0) {
        return c;
      }
    }
    return Integer.compare(a.size(), b.size());
  }

  /** Equal when every part, build metadata included, is equal. */
  @Override
  public boolean equals(Object o) {
    if (!(o instanceof SemVer)) {
      return false;
    }
    SemVer v = (SemVer) o;
    return major == v.major && minor == v.minor && patch == v.patch && preRelease.equals(v.preRelease)
        && build.equals(v.build);
  }

  @Override
  public int hashCode() {
    return Objects.hash(major, minor, patch, preRelease, build);
  }

  /** Returns the canonical text, such as {@code 1.0.0-rc.1+build.5}. */
  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder().append(major).append('.').append(minor).append('.').append(patch);
    if (!preRelease.isEmpty()) {
      sb.append('-').append(String.join(".", preRelease));
    }
    if (!build.isEmpty()) {
      sb.append('+').append(String.join(".", build));
    }
    return sb.toString();
  }
}
