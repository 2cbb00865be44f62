package dev.swell.abtest.assign;

import java.math.BigDecimal;
import java.math.MathContext;
import java.util.Arrays;
import java.util.Objects;

/**
 * GrowthBook's assignment functions, bit for bit as its JavaScript SDK (the reference every
 * GrowthBook SDK is tested against) computes them, so that a unit gets the same variation in a
 * GrowthBook-instrumented front end and in Swell. Pure and thread-safe; nothing allocates on the
 * paths {@link Allocation} uses.
 *
 * <ul>
 *   <li>{@link #fnv1a32}: 32-bit FNV-1a over the string's UTF-16 code units (each whole 16-bit
 *       unit, as JavaScript's {@code charCodeAt}; not its UTF-8 bytes);
 *   <li>{@link #hash}: version 1 is {@code (fnv(value + seed) mod 1000) / 1000}; version 2 is
 *       {@code (fnv(decimal(fnv(seed + value))) mod 10000) / 10000}; another version has no
 *       bucket ({@code NaN} here, {@code null} in GrowthBook);
 *   <li>{@link #bucketRanges}: variation i takes {@code [s_i, s_i + coverage * w_i)}, where s_i
 *       is the sum of the weights before it; weights that do not add up to 1 ± 0.01, or whose
 *       count is wrong, are replaced by equal weights; coverage is clamped to [0, 1];
 *   <li>{@link #chooseVariation}: the first range with {@code start <= n < end}, or -1;
 *   <li>{@link #inNamespace}: {@code start <= hash("__" + id, value, 1) < end};
 *   <li>{@link #hashValue}: an attribute as JavaScript's {@code String(x)} writes it ({@code 1.0}
 *       is {@code "1"}, {@code 1e21} is {@code "1e+21"}), or null when GrowthBook would not
 *       hash it (an empty string, null, false, 0, NaN: the unit is then not in the experiment).
 * </ul>
 *
 * <p>GrowthBook's SDKs default to hash version 1; Swell's experiments default to version 2,
 * GrowthBook's unbiased one (version 1 is biased: {@code mod 1000} of a 32-bit hash).
 *
 * <pre>{@code
 * double n = GrowthBook.hash("my-test", "user-42", 2);             // in [0, 1)
 * double[][] ranges = GrowthBook.bucketRanges(2, 1.0, null);       // [[0, 0.5], [0.5, 1]]
 * int variation = GrowthBook.chooseVariation(n, ranges);           // 0 or 1
 * }</pre>
 */
public final class GrowthBook {

  private static final int FNV_OFFSET = 0x811c9dc5;
  private static final int FNV_PRIME = 16777619;

  private GrowthBook() {}

  /**
   * FNV-1a, 32 bits, over UTF-16 code units.
   *
   * @param s the text
   * @return the hash as an unsigned value in [0, 2^32)
   */
  public static long fnv1a32(CharSequence s) {
    return fnv(FNV_OFFSET, s) & 0xffffffffL;
  }

  /** Continues an FNV-1a hash over more text. */
  static int fnv(int h, CharSequence s) {
    for (int i = 0, n = s.length(); i < n; i++) {
      h ^= s.charAt(i);
      h *= FNV_PRIME;
    }
    return h;
  }

  /**
   * Continues an FNV-1a hash over the decimal digits of an unsigned 32-bit value, without building
   * the string: the digits are taken least significant first (divisions by the constant 10, which
   * the JIT turns into multiplications), packed four bits each into a long, then hashed most
   * significant first.
   */
  private static int fnvDecimal(int h, long value) {
    long packed = 0;
    int digits = 0;
    do {
      packed = (packed << 4) | (value % 10);
      value /= 10;
      digits++;
    } while (value != 0);
    for (int i = 0; i < digits; i++) {
      h ^= (char) ('0' + (packed & 0xf));
      h *= FNV_PRIME;
      packed >>>= 4;
    }
    return h;
  }

  /** Version 2's bucket of a value, continuing from the FNV state after the seed. */
  static double hashV2(int seedState, String value) {
    long first = fnv(seedState, value) & 0xffffffffL;
    long second = fnvDecimal(FNV_OFFSET, first) & 0xffffffffL;
    return (second % 10_000) / 10_000.0;
  }

  /** The FNV state after hashing a seed, for {@link #hashV2(int, String)}. */
  static int seedState(String seed) {
    return fnv(FNV_OFFSET, seed);
  }

  /**
   * GrowthBook's bucket of a value: in [0, 1), in steps of 0.001 (version 1) or 0.0001 (version
   * 2).
   *
   * @param seed the experiment's seed (its key, unless it has one)
   * @param value the hash attribute's value
   * @param version 1 or 2
   * @return the bucket, or {@code NaN} for another version (GrowthBook returns null: the unit
   *     is not in the experiment)
   */
  public static double hash(String seed, String value, int version) {
    Objects.requireNonNull(seed, "seed");
    Objects.requireNonNull(value, "value");
    if (version == 2) {
      return hashV2(seedState(seed), value);
    }
    if (version == 1) {
      long h = fnv(fnv(FNV_OFFSET, value), seed) & 0xffffffffL;
      return (h % 1_000) / 1_000.0;
    }
    return Double.NaN;
  }

  /** Version 1's hash of a namespace: seed {@code "__" + id}, without building the string. */
  static double namespaceHash(String id, String value) {
    int h = fnv(FNV_OFFSET, value);
    h ^= '_';
    h *= FNV_PRIME;
    h ^= '_';
    h *= FNV_PRIME;
    long u = fnv(h, id) & 0xffffffffL;
    return (u % 1_000) / 1_000.0;
  }

  /**
   * Equal weights, as GrowthBook makes them.
   *
   * @param variations how many
   * @return {@code variations} copies of {@code 1 / variations}, or none for 0 or fewer
   */
  public static double[] equalWeights(int variations) {
    if (variations <= 0) {
      return new double[0];
    }
    double[] w = new double[variations];
    Arrays.fill(w, 1.0 / variations);
    return w;
  }

  /**
   * The bucket range of each variation.
   *
   * @param variations how many variations
   * @param coverage the fraction of units in the experiment; clamped to [0, 1]
   * @param weights one per variation adding up to 1 (± 0.01), or null for equal weights
   * @return {@code [start, end)} per variation
   */
  public static double[][] bucketRanges(int variations, double coverage, double[] weights) {
    if (coverage < 0) {
      coverage = 0;
    } else if (coverage > 1) {
      coverage = 1;
    }
    double[] equal = equalWeights(variations);
    double[] w = weights == null || weights.length != variations ? equal : weights;
    double total = 0;
    for (double x : w) {
      total = x + total;
    }
    if (total < 0.99 || total > 1.01) {
      w = equal;
    }
    double[][] ranges = new double[w.length][];
    double cumulative = 0;
    for (int i = 0; i < w.length; i++) {
      double start = cumulative;
      cumulative += w[i];
      ranges[i] = new double[] {start, start + coverage * w[i]};
    }
    return ranges;
  }

  /**
   * The variation whose range holds a bucket.
   *
   * @param n a bucket from {@link #hash}
   * @param ranges {@code [start, end)} per variation
   * @return the first variation with {@code start <= n < end}, or -1 (not in the experiment)
   */
  public static int chooseVariation(double n, double[][] ranges) {
    for (int i = 0; i < ranges.length; i++) {
      if (n >= ranges[i][0] && n < ranges[i][1]) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Whether a unit is in a namespace's slice.
   *
   * @param hashValue the unit's hash attribute value
   * @param id the namespace's id
   * @param start the slice's start, in [0, 1]
   * @param end its end
   * @return whether {@code start <= hash("__" + id, hashValue, 1) < end}
   */
  public static boolean inNamespace(String hashValue, String id, double start, double end) {
    double n = namespaceHash(Objects.requireNonNull(id, "id"), Objects.requireNonNull(hashValue, "hashValue"));
    return n >= start && n < end;
  }

  /**
   * Turns an attribute into the text GrowthBook hashes, as JavaScript's {@code String(x)} does.
   *
   * @param attribute a string, number or boolean
   * @return the text, or null when GrowthBook treats the value as empty (null, {@code ""},
   *     {@code false}, zero, NaN): such a unit is not in the experiment
   * @throws IllegalArgumentException for another type (GrowthBook's result for objects and
   *     arrays is meaningless)
   */
  public static String hashValue(Object attribute) {
    if (attribute == null) {
      return null;
    }
    if (attribute instanceof CharSequence cs) {
      return cs.length() == 0 ? null : cs.toString();
    }
    if (attribute instanceof Boolean b) {
      return b ? "true" : null;
    }
    if (attribute instanceof Number num) {
      double d = num instanceof BigDecimal bd ? bd.doubleValue() : num.doubleValue();
      if (num instanceof Long || num instanceof Integer || num instanceof Short || num instanceof Byte) {
        long v = num.longValue();
        if (v == 0) {
          return null;
        }
        if (Math.abs(v) < (1L << 53)) {
          return Long.toString(v);
        }
      }
      if (d == 0 || Double.isNaN(d)) {
        return null;
      }
      return jsNumber(d);
    }
    throw new IllegalArgumentException("a hash attribute must be a string, number or boolean, got "
        + attribute.getClass().getName());
  }

  /**
   * Writes a number as JavaScript's {@code Number.prototype.toString()} does (ECMA-262
   * Number::toString): the shortest digits that read back as the same double, in plain notation
   * from 1e-6 up to 1e21 and in exponent notation ({@code 1e+21}, {@code 1.5e-7}) outside.
   *
   * @param d the number
   * @return its JavaScript text
   */
  public static String jsNumber(double d) {
    if (Double.isNaN(d)) {
      return "NaN";
    }
    if (d == 0) {
      return "0";
    }
    if (Double.isInfinite(d)) {
      return d > 0 ? "Infinity" : "-Infinity";
    }
    String sign = d < 0 ? "-" : "";
    double x = Math.abs(d);
    // shortest round-trip digits: the fewest significant digits that parse back to x
    BigDecimal exact = new BigDecimal(x);
    BigDecimal shortest = null;
    for (int p = 1; p <= 17; p++) {
      BigDecimal r = exact.round(new MathContext(p, java.math.RoundingMode.HALF_EVEN));
      if (r.doubleValue() == x) {
        shortest = r;
        break;
      }
    }
    BigDecimal s = shortest.stripTrailingZeros();
    String digits = s.unscaledValue().toString();
    int k = digits.length();
    int n = k - s.scale(); // value = 0.digits x 10^n
    StringBuilder out = new StringBuilder(sign);
    if (k <= n && n <= 21) {
      out.append(digits);
      out.append("0".repeat(n - k));
    } else if (0 < n && n <= 21) {
      out.append(digits, 0, n).append('.').append(digits, n, k);
    } else if (-6 < n && n <= 0) {
      out.append("0.").append("0".repeat(-n)).append(digits);
    } else {
      int e = n - 1;
      out.append(digits.charAt(0));
      if (k > 1) {
        out.append('.').append(digits, 1, k);
      }
      out.append('e').append(e < 0 ? '-' : '+').append(Math.abs(e));
    }
    return out.toString();
  }
}
