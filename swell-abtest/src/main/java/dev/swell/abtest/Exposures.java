package dev.swell.abtest;

import java.util.HashMap;
import java.util.Map;
import java.util.TreeMap;

/**
 * Distinct units exposed to each variation, counted once each (at their first exposure, under the
 * revision in force then), over every replica: what the sample-ratio check compares with the
 * shares.
 *
 * @param byRevision revision to units per variation (control first)
 */
public record Exposures(Map<Long, long[]> byRevision) {

  /** No units. */
  public static final Exposures NONE = new Exposures(Map.of());

  /**
   * Copies.
   *
   * @param byRevision per revision, per variation
   */
  public Exposures {
    Map<Long, long[]> copy = new TreeMap<>();
    byRevision.forEach((k, v) -> copy.put(k, v.clone()));
    byRevision = copy;
  }

  /**
   * Returns the units per variation over all revisions.
   *
   * @param variations how many variations
   * @return per variation
   */
  public long[] total(int variations) {
    long[] t = new long[variations];
    for (long[] units : byRevision.values()) {
      for (int i = 0; i < Math.min(variations, units.length); i++) {
        t[i] += units[i];
      }
    }
    return t;
  }

  /**
   * Adds more counts.
   *
   * @param other other counts
   * @return the sum
   */
  public Exposures plus(Exposures other) {
    Map<Long, long[]> m = new HashMap<>();
    byRevision.forEach((k, v) -> m.put(k, v.clone()));
    other.byRevision.forEach((k, v) -> m.merge(k, v.clone(), (a, b) -> {
      long[] s = new long[Math.max(a.length, b.length)];
      for (int i = 0; i < s.length; i++) {
        s[i] = (i < a.length ? a[i] : 0) + (i < b.length ? b[i] : 0);
      }
      return s;
    }));
    return new Exposures(m);
  }
}
