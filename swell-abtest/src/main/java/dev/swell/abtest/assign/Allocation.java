package dev.swell.abtest.assign;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * Which variation each unit of an experiment gets: an immutable map from GrowthBook's bucket
 * space [0, 1) to variations, plus the hash settings. Variation 0 is the control.
 *
 * <p>It starts as GrowthBook lays an experiment out ({@link #of}: coverage, weights, namespace,
 * hash version 1 or 2), so assignment equals {@link GrowthBook#chooseVariation} on GrowthBook's
 * own ranges. {@link #ramp} then changes one challenger's share so that units only ever move
 * between the control and that challenger, never between other variations (a canary ramped from
 * 5% to 20% keeps its first 5% of units; another challenger keeps all of its own). A ramp takes
 * the control's space next to the challenger when there is some, so in the usual cases every
 * variation keeps one contiguous range and {@link #growthBookRanges()} can hand the layout to
 * a GrowthBook SDK as an experiment's {@code ranges}; otherwise a challenger owns several
 * pieces, which GrowthBook cannot express but Swell assigns the same way everywhere.
 *
 * <p>A unit outside every range (outside the coverage or the namespace) is not in the
 * experiment: the host serves it the control's version and it is not counted.
 *
 * <p>{@link #assign} is allocation-free and takes a few tens of nanoseconds.
 *
 * <pre>{@code
 * Allocation a = Allocation.of("fraud-canary", 2, 2, 1.0, new double[] {0.95, 0.05}, null);
 * int variation = a.assign("user-42");     // 0 (control) or 1 (canary)
 * Allocation ramped = a.ramp(1, 0.20);     // units only move from the control to the canary
 * }</pre>
 */
public final class Allocation {

  /** A GrowthBook namespace: units whose namespace hash falls in {@code [start, end)}. */
  public record Namespace(String id, double start, double end) {
    /**
     * Validates.
     *
     * @param id the namespace's id
     * @param start from 0
     * @param end up to 1, above start
     */
    public Namespace {
      Objects.requireNonNull(id, "id");
      if (!(start >= 0 && end <= 1 && start < end)) {
        throw new IllegalArgumentException("a namespace needs 0 <= start < end <= 1, got [" + start + ", " + end + ")");
      }
    }
  }

  private final String seed;
  private final int hashVersion;
  private final Namespace namespace;
  private final int variations;
  /** Pieces sorted by start, never overlapping: [starts[i], ends[i]) belongs to owners[i]. */
  private final double[] starts;
  private final double[] ends;
  private final int[] owners;
  /** FNV state after the seed, so version 2 hashes only the unit. */
  private final int seedState;

  private Allocation(String seed, int hashVersion, Namespace namespace, int variations,
      double[] starts, double[] ends, int[] owners) {
    this.seed = seed;
    this.hashVersion = hashVersion;
    this.namespace = namespace;
    this.variations = variations;
    this.starts = starts;
    this.ends = ends;
    this.owners = owners;
    this.seedState = GrowthBook.seedState(seed);
  }

  /**
   * Lays an experiment out as GrowthBook does.
   *
   * @param seed the seed hashed with each unit (GrowthBook uses the experiment key unless a seed
   *     is set)
   * @param hashVersion 1 or 2
   * @param variations at least 1 (the control alone: a shadow-only experiment), the control first
   * @param coverage the fraction of units in the experiment, (0, 1]
   * @param weights one per variation adding up to 1, or null for equal weights
   * @param namespace a namespace slice, or null
   * @return the allocation
   * @throws IllegalArgumentException if a value is out of range (GrowthBook would silently fall
   *     back to equal weights; Swell refuses instead)
   */
  public static Allocation of(String seed, int hashVersion, int variations, double coverage,
      double[] weights, Namespace namespace) {
    checkSettings(seed, hashVersion);
    if (variations < 1) {
      throw new IllegalArgumentException("an experiment needs at least 1 variation, got " + variations);
    }
    if (!(coverage > 0 && coverage <= 1)) {
      throw new IllegalArgumentException("coverage must be in (0, 1], was " + coverage);
    }
    if (weights != null) {
      if (weights.length != variations) {
        throw new IllegalArgumentException(weights.length + " weights for " + variations + " variations");
      }
      double total = 0;
      for (double w : weights) {
        if (!(w >= 0)) {
          throw new IllegalArgumentException("weights must be >= 0, got " + Arrays.toString(weights));
        }
        total = w + total;
      }
      if (total < 0.99 || total > 1.01) {
        throw new IllegalArgumentException("weights must add up to 1, got " + total);
      }
    }
    double[][] ranges = GrowthBook.bucketRanges(variations, coverage, weights);
    List<double[]> pieces = new ArrayList<>();
    for (int i = 0; i < ranges.length; i++) {
      pieces.add(new double[] {ranges[i][0], ranges[i][1], i});
    }
    return build(seed, hashVersion, namespace, variations, pieces);
  }

  /**
   * Builds an allocation from explicit pieces, as stored.
   *
   * @param seed seed
   * @param hashVersion 1 or 2
   * @param variations how many variations
   * @param ranges per variation, its {@code [start, end)} pieces
   * @param namespace a namespace slice, or null
   * @return the allocation
   * @throws IllegalArgumentException if pieces overlap or fall outside [0, 1]
   */
  public static Allocation ofRanges(String seed, int hashVersion, int variations,
      List<List<double[]>> ranges, Namespace namespace) {
    checkSettings(seed, hashVersion);
    if (ranges.size() != variations || variations < 1) {
      throw new IllegalArgumentException("ranges for " + ranges.size() + " variations, expected " + variations);
    }
    List<double[]> pieces = new ArrayList<>();
    for (int v = 0; v < variations; v++) {
      for (double[] r : ranges.get(v)) {
        if (r.length != 2 || !(r[0] >= 0 && r[1] <= 1 && r[0] <= r[1])) {
          throw new IllegalArgumentException("variation " + v + " has a bad range " + Arrays.toString(r));
        }
        pieces.add(new double[] {r[0], r[1], v});
      }
    }
    return build(seed, hashVersion, namespace, variations, pieces);
  }

  private static void checkSettings(String seed, int hashVersion) {
    Objects.requireNonNull(seed, "seed");
    if (hashVersion != 1 && hashVersion != 2) {
      throw new IllegalArgumentException("hash version must be 1 or 2, was " + hashVersion);
    }
  }

  /** Sorts pieces, drops empty ones, merges touching pieces of one owner, checks overlaps. */
  private static Allocation build(String seed, int hashVersion, Namespace namespace, int variations,
      List<double[]> pieces) {
    List<double[]> sorted = new ArrayList<>();
    for (double[] p : pieces) {
      if (p[1] > p[0]) {
        sorted.add(p);
      }
    }
    sorted.sort((a, b) -> Double.compare(a[0], b[0]));
    List<double[]> merged = new ArrayList<>();
    for (double[] p : sorted) {
      double[] last = merged.isEmpty() ? null : merged.get(merged.size() - 1);
      if (last != null && p[0] < last[1]) {
        throw new IllegalArgumentException("ranges overlap: [" + last[0] + ", " + last[1] + ") and ["
            + p[0] + ", " + p[1] + ")");
      }
      if (last != null && last[2] == p[2] && last[1] == p[0]) {
        last[1] = p[1];
      } else {
        merged.add(p.clone());
      }
    }
    int n = merged.size();
    double[] s = new double[n];
    double[] e = new double[n];
    int[] o = new int[n];
    for (int i = 0; i < n; i++) {
      s[i] = merged.get(i)[0];
      e[i] = merged.get(i)[1];
      o[i] = (int) merged.get(i)[2];
    }
    return new Allocation(seed, hashVersion, namespace, variations, s, e, o);
  }

  /**
   * Returns the variation of a unit.
   *
   * @param hashValue the unit's hash attribute value (see {@link GrowthBook#hashValue})
   * @return its variation, or -1 if it is not in the experiment (outside the coverage or the
   *     namespace, or an empty value)
   */
  public int assign(String hashValue) {
    if (hashValue == null || hashValue.isEmpty()) {
      return -1;
    }
    if (namespace != null) {
      double ns = GrowthBook.namespaceHash(namespace.id(), hashValue);
      if (!(ns >= namespace.start() && ns < namespace.end())) {
        return -1;
      }
    }
    return variationOf(hashVersion == 2 ? GrowthBook.hashV2(seedState, hashValue)
        : GrowthBook.hash(seed, hashValue, hashVersion));
  }

  /**
   * Returns the variation owning a bucket.
   *
   * @param n a bucket in [0, 1)
   * @return its variation, or -1
   */
  public int variationOf(double n) {
    for (int i = 0; i < starts.length; i++) {
      if (n < starts[i]) {
        return -1;
      }
      if (n < ends[i]) {
        return owners[i];
      }
    }
    return -1;
  }

  /**
   * Returns the fraction of all units a variation gets.
   *
   * @param variation the variation
   * @return its share, the total length of its ranges (times the namespace's slice, if any)
   */
  public double share(int variation) {
    double total = 0;
    for (int i = 0; i < starts.length; i++) {
      if (owners[i] == variation) {
        total += ends[i] - starts[i];
      }
    }
    return namespace == null ? total : total * (namespace.end() - namespace.start());
  }

  /**
   * Returns the ranges a variation owns.
   *
   * @param variation the variation
   * @return its {@code [start, end)} pieces, in order
   */
  public List<double[]> ranges(int variation) {
    List<double[]> out = new ArrayList<>();
    for (int i = 0; i < starts.length; i++) {
      if (owners[i] == variation) {
        out.add(new double[] {starts[i], ends[i]});
      }
    }
    return out;
  }

  /**
   * Returns the layout as GrowthBook's experiment {@code ranges}, one per variation, if every
   * variation owns one contiguous piece (or none).
   *
   * @return the ranges, or empty when some variation owns several pieces
   */
  public Optional<double[][]> growthBookRanges() {
    double[][] out = new double[variations][];
    for (int i = 0; i < starts.length; i++) {
      if (out[owners[i]] != null) {
        return Optional.empty();
      }
      out[owners[i]] = new double[] {starts[i], ends[i]};
    }
    for (int v = 0; v < variations; v++) {
      if (out[v] == null) {
        out[v] = new double[] {0, 0};
      }
    }
    return Optional.of(out);
  }

  /**
   * Returns an allocation in which one challenger gets another share of the bucket space, taken
   * from the control or given back to it; no other variation's units move.
   *
   * @param variation a challenger (1 or more)
   * @param share its new share of the bucket space (before any namespace), from 0
   * @return the new allocation
   * @throws IllegalArgumentException if the variation is the control or does not exist, or the
   *     control has not enough space left
   */
  public Allocation ramp(int variation, double share) {
    if (variation < 1 || variation >= variations) {
      throw new IllegalArgumentException("variation " + variation + " is not a challenger (1 to "
          + (variations - 1) + ")");
    }
    if (share > 1 && share <= 1 + 1e-9) {
      share = 1; // a sum of shares such as share(v) + share(0) may exceed 1 by a rounding error
    }
    if (!(share >= 0 && share <= 1)) {
      throw new IllegalArgumentException("share must be in [0, 1], was " + share);
    }
    List<double[]> pieces = new ArrayList<>();
    for (int i = 0; i < starts.length; i++) {
      pieces.add(new double[] {starts[i], ends[i], owners[i]});
    }
    double current = 0;
    for (double[] p : pieces) {
      if (p[2] == variation) {
        current += p[1] - p[0];
      }
    }
    double delta = share - current;
    if (Math.abs(delta) < 1e-12) {
      return this;
    }
    if (delta > 0) {
      move(pieces, 0, variation, delta);
    } else {
      move(pieces, variation, 0, -delta);
    }
    return build(seed, hashVersion, namespace, variations, pieces);
  }

  /**
   * Moves {@code amount} of bucket space from one owner to another: first from the donor's pieces
   * that touch the receiver (growing the receiver's piece), then from the top of the donor's
   * highest pieces.
   */
  private static void move(List<double[]> pieces, int from, int to, double amount) {
    double available = 0;
    for (double[] p : pieces) {
      if (p[2] == from) {
        available += p[1] - p[0];
      }
    }
    if (amount > available + 1e-12) {
      throw new IllegalArgumentException((from == 0 ? "the control" : "variation " + from)
          + " has only " + available + " of the bucket space left, " + amount + " asked");
    }
    pieces.sort((a, b) -> Double.compare(a[0], b[0]));
    // 1. donor pieces touching a receiver piece: shrink them from that side
    for (int i = 0; i < pieces.size() && amount > 1e-15; i++) {
      double[] p = pieces.get(i);
      if (p[2] != from || p[1] <= p[0]) {
        continue;
      }
      boolean receiverAbove = i + 1 < pieces.size() && pieces.get(i + 1)[2] == to
          && pieces.get(i + 1)[0] == p[1];
      boolean receiverBelow = i > 0 && pieces.get(i - 1)[2] == to && pieces.get(i - 1)[1] == p[0];
      double len = p[1] - p[0];
      double take = Math.min(amount, len);
      if (receiverAbove) {
        double cut = take >= len ? p[0] : p[1] - take; // exact boundary when the whole piece goes
        pieces.get(i + 1)[0] = cut;
        p[1] = cut;
        amount -= take;
      } else if (receiverBelow) {
        double cut = take >= len ? p[1] : p[0] + take;
        pieces.get(i - 1)[1] = cut;
        p[0] = cut;
        amount -= take;
      }
    }
    // 2. the rest from the top of the donor's highest pieces, as new pieces of the receiver
    for (int i = pieces.size() - 1; i >= 0 && amount > 1e-15; i--) {
      double[] p = pieces.get(i);
      if (p[2] != from || p[1] <= p[0]) {
        continue;
      }
      double len = p[1] - p[0];
      double take = Math.min(amount, len);
      double cut = take >= len ? p[0] : p[1] - take;
      pieces.add(new double[] {cut, p[1], to});
      p[1] = cut;
      amount -= take;
    }
  }

  /**
   * Returns the seed.
   *
   * @return the seed
   */
  public String seed() {
    return seed;
  }

  /**
   * Returns the hash version.
   *
   * @return 1 or 2
   */
  public int hashVersion() {
    return hashVersion;
  }

  /**
   * Returns the namespace.
   *
   * @return the namespace, or empty
   */
  public Optional<Namespace> namespace() {
    return Optional.ofNullable(namespace);
  }

  /**
   * Returns how many variations there are.
   *
   * @return the count, the control included
   */
  public int variations() {
    return variations;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Allocation a && seed.equals(a.seed) && hashVersion == a.hashVersion
        && Objects.equals(namespace, a.namespace) && variations == a.variations
        && Arrays.equals(starts, a.starts) && Arrays.equals(ends, a.ends) && Arrays.equals(owners, a.owners);
  }

  @Override
  public int hashCode() {
    return Objects.hash(seed, hashVersion, namespace, variations, Arrays.hashCode(starts), Arrays.hashCode(ends),
        Arrays.hashCode(owners));
  }

  @Override
  public String toString() {
    StringBuilder sb = new StringBuilder("Allocation[seed=").append(seed).append(", v").append(hashVersion);
    for (int i = 0; i < starts.length; i++) {
      sb.append(", ").append(owners[i]).append(":[").append(starts[i]).append(", ").append(ends[i]).append(')');
    }
    return sb.append(']').toString();
  }
}
