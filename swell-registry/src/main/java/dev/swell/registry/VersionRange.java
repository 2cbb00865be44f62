package dev.swell.registry;

import java.util.ArrayList;
import java.util.Collection;
import java.util.List;
import java.util.Optional;

/**
 * A range of semantic versions in the notation npm made common: carets ({@code ^1.2.3}: no change
 * to the left-most non-zero part), tildes ({@code ~1.2.3}: patch changes), comparators
 * ({@code >=1.0.0 <2.0.0}, space-separated and all required), wildcards ({@code 1.x}, {@code 1.2.*},
 * {@code *}) and unions ({@code ^1.2 || ^2.0}).
 *
 * <p>As in npm, a pre-release version is in a range only when a comparator of the same set names a
 * pre-release of the same {@code MAJOR.MINOR.PATCH} (so {@code ^1.2.0} does not pick
 * {@code 1.3.0-beta}), unless pre-releases are asked for.
 *
 * <p>Instances are immutable and safe to share between threads.
 *
 * <pre>{@code
 * VersionRange.parse("^1.2").contains(SemVer.parse("1.9.0"));              // true
 * VersionRange.parse(">=1.0.0 <2.0.0").highest(versions);                  // the newest 1.x
 * }</pre>
 */
public final class VersionRange {

  private enum Op { GE, GT, LE, LT, EQ }

  /** One comparison; {@code synthetic} bounds (such as {@code <2.0.0-0}) do not admit pre-releases. */
  private record Comparator(Op op, SemVer v, boolean synthetic) {
    boolean test(SemVer x) {
      int c = x.compareTo(v);
      switch (op) {
        case GE:
          return c >= 0;
        case GT:
          return c > 0;
        case LE:
          return c <= 0;
        case LT:
          return c < 0;
        default:
          return c == 0;
      }
    }
  }

  private final String text;
  private final List<List<Comparator>> sets;

  private VersionRange(String text, List<List<Comparator>> sets) {
    this.text = text;
    this.sets = sets;
  }

  /**
   * Parses a range.
   *
   * @param text such as {@code ^1.2}, {@code ~1.2.3}, {@code >=1.0.0 <2.0.0} or {@code 1.x || 2.x}
   * @return the range
   * @throws IllegalArgumentException if the text is not a range; the message says why
   * @throws NullPointerException if text is null
   */
  public static VersionRange parse(String text) {
    List<List<Comparator>> sets = new ArrayList<>();
    for (String part : text.split("\\|\\|", -1)) {
      List<String> tokens;
      try {
        tokens = tokens(part);
      } catch (IllegalArgumentException e) {
        throw new IllegalArgumentException("range '" + text + "': " + e.getMessage(), e);
      }
      List<Comparator> set = new ArrayList<>();
      if (tokens.isEmpty()) {
        if (text.contains("||")) {
          throw new IllegalArgumentException("range '" + text + "' has an empty alternative");
        }
        set.add(new Comparator(Op.GE, SemVer.of(0, 0, 0), true));
      }
      for (String t : tokens) {
        try {
          set.addAll(comparators(t));
        } catch (IllegalArgumentException e) {
          throw new IllegalArgumentException("range '" + text + "': " + e.getMessage(), e);
        }
      }
      sets.add(List.copyOf(set));
    }
    return new VersionRange(text, List.copyOf(sets));
  }

  /** Splits on spaces, joining an operator written apart from its version ({@code >= 1.0.0}). */
  private static List<String> tokens(String part) {
    List<String> out = new ArrayList<>();
    String pending = "";
    for (String t : part.trim().split("\\s+")) {
      if (t.isEmpty()) {
        continue;
      }
      if (t.matches("[<>=~^]+")) {
        pending += t;
        continue;
      }
      out.add(pending + t);
      pending = "";
    }
    if (!pending.isEmpty()) {
      throw new IllegalArgumentException("operator '" + pending + "' has no version");
    }
    return out;
  }

  /** A version with some parts possibly missing or wildcards: null means "any". */
  private record Partial(Long major, Long minor, Long patch, String rest) {
    SemVer floor() {
      return SemVer.parse(n(major) + "." + n(minor) + "." + n(patch) + rest);
    }

    private static long n(Long x) {
      return x == null ? 0 : x;
    }

    boolean full() {
      return patch != null;
    }
  }

  private static Partial partial(String s) {
    String rest = "";
    int cut = indexOfAny(s, '-', '+');
    String core = s;
    if (cut >= 0) {
      rest = s.substring(cut);
      core = s.substring(0, cut);
    }
    String[] parts = core.split("\\.", -1);
    if (parts.length > 3 || core.isEmpty()) {
      throw new IllegalArgumentException("'" + s + "' is not a version");
    }
    Long[] nums = new Long[3];
    boolean wild = false;
    for (int i = 0; i < parts.length; i++) {
      String p = parts[i];
      if (p.equals("x") || p.equals("X") || p.equals("*")) {
        wild = true;
        continue;
      }
      if (wild) {
        throw new IllegalArgumentException("'" + s + "' has a number after a wildcard");
      }
      if (p.isEmpty() || !p.chars().allMatch(c -> c >= '0' && c <= '9') || (p.length() > 1 && p.charAt(0) == '0')) {
        throw new IllegalArgumentException("'" + p + "' in '" + s + "' is not a version number");
      }
      try {
        nums[i] = Long.parseLong(p);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("'" + p + "' in '" + s + "' is larger than " + Long.MAX_VALUE);
      }
    }
    if (!rest.isEmpty() && nums[2] == null) {
      throw new IllegalArgumentException("'" + s + "' has a pre-release on a partial version");
    }
    Partial p = new Partial(nums[0], nums[1], nums[2], rest);
    p.floor(); // validates the pre-release and build text
    return p;
  }

  private static int indexOfAny(String s, char a, char b) {
    int i = s.indexOf(a);
    int j = s.indexOf(b);
    return i < 0 ? j : j < 0 ? i : Math.min(i, j);
  }

  private static SemVer upper(long major, long minor, long patch) {
    return SemVer.parse(major + "." + minor + "." + patch + "-0");
  }

  /** The lowest version above every {@code major.*}, or null when there is none (major is the largest long). */
  private static SemVer afterMajor(long major) {
    return major == Long.MAX_VALUE ? null : upper(major + 1, 0, 0);
  }

  /** The lowest version above every {@code major.minor.*}, or null when there is none. */
  private static SemVer afterMinor(long major, long minor) {
    return minor == Long.MAX_VALUE ? afterMajor(major) : upper(major, minor + 1, 0);
  }

  /** The lowest version above every {@code major.minor.patch} pre-release and release, or null. */
  private static SemVer afterPatch(long major, long minor, long patch) {
    return patch == Long.MAX_VALUE ? afterMinor(major, minor) : upper(major, minor, patch + 1);
  }

  private static void addBelow(List<Comparator> out, SemVer bound) {
    if (bound != null) {
      out.add(new Comparator(Op.LT, bound, true));
    }
  }

  private static List<Comparator> comparators(String token) {
    List<Comparator> out = new ArrayList<>();
    if (token.equals("*") || token.equalsIgnoreCase("x")) {
      out.add(new Comparator(Op.GE, SemVer.of(0, 0, 0), true));
      return out;
    }
    if (token.startsWith("^") || token.startsWith("~")) {
      boolean caret = token.startsWith("^");
      Partial p = partial(token.substring(token.startsWith("~>") ? 2 : 1));
      if (p.major() == null) { // ^* and ~* are *, as in npm
        out.add(new Comparator(Op.GE, SemVer.of(0, 0, 0), true));
        return out;
      }
      out.add(new Comparator(Op.GE, p.floor(), false));
      long ma = p.major();
      if (p.minor() == null || (caret && ma > 0)) {
        addBelow(out, afterMajor(ma));
      } else if (!caret || p.minor() > 0 || p.patch() == null) {
        addBelow(out, afterMinor(ma, p.minor()));
      } else {
        addBelow(out, afterPatch(0, 0, p.patch()));
      }
      return out;
    }
    Op op;
    String v;
    if (token.startsWith(">=")) {
      op = Op.GE;
      v = token.substring(2);
    } else if (token.startsWith("<=")) {
      op = Op.LE;
      v = token.substring(2);
    } else if (token.startsWith(">")) {
      op = Op.GT;
      v = token.substring(1);
    } else if (token.startsWith("<")) {
      op = Op.LT;
      v = token.substring(1);
    } else if (token.startsWith("=")) {
      op = Op.EQ;
      v = token.substring(1);
    } else {
      op = Op.EQ;
      v = token;
    }
    Partial p = partial(v);
    if (p.full()) {
      out.add(new Comparator(op, p.floor(), false));
      return out;
    }
    // A partial version names a whole block: 1.2 is [1.2.0, 1.3.0-0), 1 is [1.0.0, 2.0.0-0).
    SemVer lo = p.floor();
    // hi is null for * and for a block with nothing above it (a number is the largest long).
    SemVer hi = p.major() == null ? null
        : p.minor() == null ? afterMajor(p.major()) : afterMinor(p.major(), p.minor());
    switch (op) {
      case EQ:
        out.add(new Comparator(Op.GE, lo, true));
        if (hi != null) {
          out.add(new Comparator(Op.LT, hi, true));
        }
        break;
      case GE:
        out.add(new Comparator(Op.GE, lo, true));
        break;
      case GT:
        if (hi == null) {
          out.add(new Comparator(Op.LT, SemVer.of(0, 0, 0), true)); // nothing above: matches nothing
        } else {
          out.add(new Comparator(Op.GE, SemVer.parse(hi.major() + "." + hi.minor() + ".0"), true));
        }
        break;
      case LT:
        out.add(new Comparator(Op.LT, upper(lo.major(), lo.minor(), 0), true));
        break;
      default: // LE
        if (hi != null) {
          out.add(new Comparator(Op.LT, hi, true));
        }
    }
    return out;
  }

  /**
   * Returns whether a version is in the range (pre-releases only where a comparator names the same
   * release line, as in npm).
   *
   * @param v the version
   * @return whether it is in the range
   */
  public boolean contains(SemVer v) {
    return contains(v, false);
  }

  /**
   * Returns whether a version is in the range.
   *
   * @param v the version
   * @param includePreRelease whether any pre-release within the bounds counts
   * @return whether it is in the range
   */
  public boolean contains(SemVer v, boolean includePreRelease) {
    for (List<Comparator> set : sets) {
      if (set.stream().allMatch(c -> c.test(v))
          && (includePreRelease || !v.isPreRelease() || set.stream().anyMatch(c -> !c.synthetic()
              && c.v().isPreRelease() && c.v().major() == v.major() && c.v().minor() == v.minor()
              && c.v().patch() == v.patch()))) {
        return true;
      }
    }
    return false;
  }

  /**
   * Returns the highest version in the range.
   *
   * @param versions candidates
   * @return the highest contained one by precedence, or empty
   */
  public Optional<SemVer> highest(Collection<SemVer> versions) {
    return versions.stream().filter(this::contains).max(SemVer.TOTAL_ORDER);
  }

  /** Returns the text the range was parsed from. */
  @Override
  public String toString() {
    return text;
  }
}
