package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigDecimal;
import java.util.function.IntToDoubleFunction;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/**
 * float32 ↔ float16 / bfloat16 conversions, checked against an independent decoding of the two
 * formats (computed in double from sign, exponent and mantissa) rather than against the code
 * under test.
 */
class HalfFloatsTest {

  private static final int HALF_INF = 0x7c00;
  private static final int BF16_INF = 0x7f80;

  // ------------------------------------------------------------------ independent references

  /**
   * The magnitude of a float16 bit pattern (sign ignored), computed from the format's definition.
   * For the infinity pattern 0x7c00 it gives 65536, the value the next step would have, which is
   * what rounding compares against.
   */
  static double halfMagnitude(int bits) {
    int exp = (bits >>> 10) & 0x1f;
    int mant = bits & 0x3ff;
    return exp == 0 ? Math.scalb((double) mant, -24) : Math.scalb((double) (1024 + mant), exp - 25);
  }

  /** Same for bfloat16 (8 exponent bits, 7 mantissa bits); 0x7f80 gives 2^128. */
  static double bf16Magnitude(int bits) {
    int exp = (bits >>> 7) & 0xff;
    int mant = bits & 0x7f;
    return exp == 0 ? Math.scalb((double) mant, -133) : Math.scalb((double) (128 + mant), exp - 134);
  }

  static boolean isHalfNaN(int bits) {
    return (bits & 0x7c00) == 0x7c00 && (bits & 0x3ff) != 0;
  }

  static boolean isBf16NaN(int bits) {
    return (bits & 0x7f80) == 0x7f80 && (bits & 0x7f) != 0;
  }

  /** Round-to-nearest-even of the top 16 bits of a non-NaN float, written out on the bits. */
  static int bf16Reference(float f) {
    int x = Float.floatToRawIntBits(f);
    int upper = x >>> 16;
    int lower = x & 0xffff;
    if (lower > 0x8000 || (lower == 0x8000 && (upper & 1) == 1)) {
      upper++;
    }
    return upper & 0xffff;
  }

  /**
   * Asserts that {@code result} is the representable value nearest to {@code f}, ties to an even
   * mantissa, with the sign of {@code f}; {@code inf} is the infinity pattern without sign and
   * {@code magnitude(inf)} the value one step above the largest finite one.
   */
  static void assertNearestEven(float f, int result, IntToDoubleFunction magnitude, int inf) {
    assertThat((result & 0x8000) != 0)
        .as("sign of %s (bits %08x) -> %04x", f, Float.floatToRawIntBits(f), result)
        .isEqualTo(Float.floatToRawIntBits(f) < 0);
    BigDecimal a = new BigDecimal(Math.abs((double) f));
    int m = result & 0x7fff;
    assertThat(m).as("%s -> %04x must not be NaN", f, result).isLessThanOrEqualTo(inf);
    if (m == inf) {
      BigDecimal midpoint = new BigDecimal(magnitude.applyAsDouble(inf - 1))
          .add(new BigDecimal(magnitude.applyAsDouble(inf)))
          .divide(BigDecimal.valueOf(2));
      assertThat(a).as("%s overflowed to infinity", f).isGreaterThanOrEqualTo(midpoint);
      return;
    }
    BigDecimal d = a.subtract(new BigDecimal(magnitude.applyAsDouble(m))).abs();
    BigDecimal up = a.subtract(new BigDecimal(magnitude.applyAsDouble(m + 1))).abs();
    assertThat(d).as("%s -> %04x is farther than the next value up", f, result)
        .isLessThanOrEqualTo(up);
    boolean tie = d.compareTo(up) == 0;
    if (m > 0) {
      BigDecimal down = a.subtract(new BigDecimal(magnitude.applyAsDouble(m - 1))).abs();
      assertThat(d).as("%s -> %04x is farther than the next value down", f, result)
          .isLessThanOrEqualTo(down);
      tie |= d.compareTo(down) == 0;
    }
    if (tie) {
      assertThat(m & 1).as("%s is a tie, so %04x must be even", f, result).isZero();
    }
  }

  static float withSign(float magnitude, boolean negative) {
    return negative ? -magnitude : magnitude;
  }

  // ------------------------------------------------------------------ float16

  @Nested
  @DisplayName("float16")
  class Float16 {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "1.0, 0x3C00",
        "-2.0, 0xC000",
        "0.5, 0x3800",
        "65504, 0x7BFF",
        "5.9604645E-8, 0x0001", // 2^-24, the smallest subnormal
        "6.1035156E-5, 0x0400", // 2^-14, the smallest normal
        "6.0975552E-5, 0x03FF", // 2^-14 - 2^-24, the largest subnormal
        "0.33333334, 0x3555",
        "0.1, 0x2E66",
        "0.0, 0x0000",
        "-0.0, 0x8000",
        "Infinity, 0x7C00",
        "-Infinity, 0xFC00",
    })
    @DisplayName("known values convert both ways")
    void knownValues(float f, String hex) {
      int bits = Integer.decode(hex);
      assertThat(HalfFloats.floatToHalf(f) & 0xffff).isEqualTo(bits);
      if (!hex.equals("0x2E66") && !hex.equals("0x3555")) { // those two are rounded
        assertThat(Float.floatToRawIntBits(HalfFloats.halfToFloat((short) bits)))
            .isEqualTo(Float.floatToRawIntBits(f));
      }
    }

    @Test
    @DisplayName("every non-NaN bit pattern decodes to its defined value and round-trips exactly")
    void exhaustiveRoundTrip() {
      for (int h = 0; h <= 0xffff; h++) {
        float f = HalfFloats.halfToFloat((short) h);
        if (isHalfNaN(h)) {
          assertThat(f).as("%04x", h).isNaN();
          assertThat(isHalfNaN(HalfFloats.floatToHalf(f) & 0xffff)).as("%04x stays NaN", h).isTrue();
          continue;
        }
        assertThat(Float.floatToRawIntBits(f) < 0).as("sign of %04x", h).isEqualTo(h >= 0x8000);
        if ((h & 0x7fff) == HALF_INF) {
          assertThat(f).as("%04x", h).isInfinite();
        } else {
          assertThat((double) Math.abs(f)).as("value of %04x", h).isEqualTo(halfMagnitude(h));
        }
        assertThat(HalfFloats.floatToHalf(f) & 0xffff).as("round trip of %04x", h).isEqualTo(h);
      }
    }

    @Test
    @DisplayName("at every midpoint between two neighbours: ties go to even, one ulp either side goes to the nearer")
    void exhaustiveRoundingBoundaries() {
      for (int m = 0; m < HALF_INF; m++) { // m + 1 == 0x7c00 is the step to infinity
        float mid = (float) ((halfMagnitude(m) + halfMagnitude(m + 1)) / 2); // exact: 12 bits
        int even = (m & 1) == 0 ? m : m + 1;
        for (boolean negative : new boolean[] {false, true}) {
          int sign = negative ? 0x8000 : 0;
          assertThat(HalfFloats.floatToHalf(withSign(mid, negative)) & 0xffff)
              .as("midpoint above %04x", m).isEqualTo(sign | even);
          assertThat(HalfFloats.floatToHalf(withSign(Math.nextDown(mid), negative)) & 0xffff)
              .as("just below the midpoint above %04x", m).isEqualTo(sign | m);
          assertThat(HalfFloats.floatToHalf(withSign(Math.nextUp(mid), negative)) & 0xffff)
              .as("just above the midpoint above %04x", m).isEqualTo(sign | (m + 1));
        }
      }
    }

    @Test
    @DisplayName("overflows to infinity from 65520 (the midpoint to the next step) upward")
    void overflow() {
      assertThat(HalfFloats.floatToHalf(Math.nextDown(65520f)) & 0xffff).isEqualTo(0x7BFF);
      assertThat(HalfFloats.floatToHalf(65520f) & 0xffff).isEqualTo(0x7C00);
      assertThat(HalfFloats.floatToHalf(-65520f) & 0xffff).isEqualTo(0xFC00);
      assertThat(HalfFloats.floatToHalf(65536f) & 0xffff).isEqualTo(0x7C00);
      assertThat(HalfFloats.floatToHalf(1e10f) & 0xffff).isEqualTo(0x7C00);
      assertThat(HalfFloats.floatToHalf(Float.MAX_VALUE) & 0xffff).isEqualTo(0x7C00);
      assertThat(HalfFloats.floatToHalf(-Float.MAX_VALUE) & 0xffff).isEqualTo(0xFC00);
    }

    @Test
    @DisplayName("subnormals round correctly, and anything below half the smallest subnormal becomes a signed zero")
    void subnormals() {
      float smallest = 0x1p-24f;
      assertThat(HalfFloats.floatToHalf(smallest) & 0xffff).isEqualTo(0x0001);
      assertThat(HalfFloats.floatToHalf(0x1p-25f) & 0xffff).as("tie to even: zero").isEqualTo(0x0000);
      assertThat(HalfFloats.floatToHalf(Math.nextUp(0x1p-25f)) & 0xffff).isEqualTo(0x0001);
      assertThat(HalfFloats.floatToHalf(3 * 0x1p-25f) & 0xffff).as("tie to even: 2").isEqualTo(0x0002);
      assertThat(HalfFloats.floatToHalf(5 * 0x1p-25f) & 0xffff).as("tie to even: 2").isEqualTo(0x0002);
      assertThat(HalfFloats.floatToHalf(1023.5f * smallest) & 0xffff)
          .as("carry from the largest subnormal into the smallest normal").isEqualTo(0x0400);
      assertThat(HalfFloats.floatToHalf(1e-8f) & 0xffff).isEqualTo(0x0000);
      assertThat(HalfFloats.floatToHalf(Float.MIN_VALUE) & 0xffff).isEqualTo(0x0000);
      assertThat(HalfFloats.floatToHalf(-Float.MIN_VALUE) & 0xffff).isEqualTo(0x8000);
      assertThat(HalfFloats.floatToHalf(Float.MIN_NORMAL) & 0xffff).isEqualTo(0x0000);
      assertThat(HalfFloats.floatToHalf(-smallest) & 0xffff).isEqualTo(0x8001);
      assertThat(HalfFloats.halfToFloat((short) 0x0001)).isEqualTo(smallest);
      assertThat(HalfFloats.halfToFloat((short) 0x83FF)).isEqualTo(-1023 * smallest);
    }

    @Test
    @DisplayName("every float NaN, whatever its payload and sign, becomes a NaN, never an infinity")
    void everyNaNStaysNaN() {
      for (int mant = 1; mant <= 0x7fffff; mant++) {
        int p = HalfFloats.floatToHalf(Float.intBitsToFloat(0x7f800000 | mant)) & 0xffff;
        int n = HalfFloats.floatToHalf(Float.intBitsToFloat(0xff800000 | mant)) & 0xffff;
        if (!isHalfNaN(p) || !isHalfNaN(n)) {
          assertThat(isHalfNaN(p) && isHalfNaN(n))
              .as("float NaN with mantissa %06x -> %04x / %04x", mant, p, n).isTrue();
        }
      }
    }
  }

  // ------------------------------------------------------------------ bfloat16

  @Nested
  @DisplayName("bfloat16")
  class Bfloat16 {

    @ParameterizedTest(name = "{0} -> {1}")
    @CsvSource({
        "1.0, 0x3F80",
        "-2.0, 0xC000",
        "0.5, 0x3F00",
        "3.3895314E38, 0x7F7F", // the largest finite bfloat16
        "0.0, 0x0000",
        "-0.0, 0x8000",
        "Infinity, 0x7F80",
        "-Infinity, 0xFF80",
    })
    @DisplayName("known values convert both ways")
    void knownValues(float f, String hex) {
      int bits = Integer.decode(hex);
      assertThat(HalfFloats.floatToBfloat16(f) & 0xffff).isEqualTo(bits);
      assertThat(Float.floatToRawIntBits(HalfFloats.bfloat16ToFloat((short) bits)))
          .isEqualTo(Float.floatToRawIntBits(f));
    }

    @Test
    @DisplayName("rounds the top 16 bits to nearest, ties to even")
    void knownRoundings() {
      assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x3F808000)) & 0xffff)
          .as("1 + 2^-8 is a tie; 0x3F80 is even").isEqualTo(0x3F80);
      assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x3F818000)) & 0xffff)
          .as("a tie above the odd 0x3F81 goes up").isEqualTo(0x3F82);
      assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x3F808001)) & 0xffff).isEqualTo(0x3F81);
      assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x3F807FFF)) & 0xffff).isEqualTo(0x3F80);
      assertThat(HalfFloats.floatToBfloat16(Float.MAX_VALUE) & 0xffff).as("overflow").isEqualTo(0x7F80);
      assertThat(HalfFloats.floatToBfloat16(-Float.MAX_VALUE) & 0xffff).as("overflow").isEqualTo(0xFF80);
      assertThat(HalfFloats.floatToBfloat16(Float.MIN_VALUE) & 0xffff).isEqualTo(0x0000);
      assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x00018000)) & 0xffff)
          .as("subnormal tie above an odd pattern").isEqualTo(0x0002);
      assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x007FFFFF)) & 0xffff)
          .as("largest float subnormal rounds up to the smallest normal").isEqualTo(0x0080);
    }

    @Test
    @DisplayName("every non-NaN bit pattern is the top half of its float and round-trips exactly")
    void exhaustiveRoundTrip() {
      for (int h = 0; h <= 0xffff; h++) {
        float f = HalfFloats.bfloat16ToFloat((short) h);
        assertThat(Float.floatToRawIntBits(f)).as("%04x", h).isEqualTo(h << 16);
        if (isBf16NaN(h)) {
          assertThat(isBf16NaN(HalfFloats.floatToBfloat16(f) & 0xffff)).as("%04x stays NaN", h).isTrue();
          continue;
        }
        if ((h & 0x7fff) != BF16_INF) {
          assertThat((double) Math.abs(f)).as("value of %04x", h).isEqualTo(bf16Magnitude(h));
        }
        assertThat(HalfFloats.floatToBfloat16(f) & 0xffff).as("round trip of %04x", h).isEqualTo(h);
      }
    }

    @Test
    @DisplayName("at every midpoint between two neighbours: ties go to even, one ulp either side goes to the nearer")
    void exhaustiveRoundingBoundaries() {
      for (int m = 0; m < BF16_INF; m++) {
        int mid = (m << 16) | 0x8000;
        int even = (m & 1) == 0 ? m : m + 1;
        for (int sign : new int[] {0, 0x8000}) {
          int s = sign << 16;
          assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(s | mid)) & 0xffff)
              .as("midpoint above %04x", m).isEqualTo(sign | even);
          assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(s | (mid - 1))) & 0xffff)
              .as("just below the midpoint above %04x", m).isEqualTo(sign | m);
          assertThat(HalfFloats.floatToBfloat16(Float.intBitsToFloat(s | (mid + 1))) & 0xffff)
              .as("just above the midpoint above %04x", m).isEqualTo(sign | (m + 1));
        }
      }
    }

    @Test
    @DisplayName("every float NaN, whatever its payload and sign, becomes a NaN, never an infinity")
    void everyNaNStaysNaN() {
      for (int mant = 1; mant <= 0x7fffff; mant++) {
        int p = HalfFloats.floatToBfloat16(Float.intBitsToFloat(0x7f800000 | mant)) & 0xffff;
        int n = HalfFloats.floatToBfloat16(Float.intBitsToFloat(0xff800000 | mant)) & 0xffff;
        if (!isBf16NaN(p) || !isBf16NaN(n)) {
          assertThat(isBf16NaN(p) && isBf16NaN(n))
              .as("float NaN with mantissa %06x -> %04x / %04x", mant, p, n).isTrue();
        }
      }
    }
  }

  // ------------------------------------------------------------------ properties

  @Property(tries = 3000)
  @Label("float16: any float rounds to the nearest half, ties to even")
  void float16AnyFloatRoundsToNearest(@ForAll("anyFloat") float f) {
    assertNearestEven(f, HalfFloats.floatToHalf(f) & 0xffff, HalfFloatsTest::halfMagnitude, HALF_INF);
  }

  @Property(tries = 3000)
  @Label("float16: floats in and around the half range round to the nearest half, ties to even")
  void float16HalfRangeRoundsToNearest(@ForAll("halfRangeFloats") float f) {
    assertNearestEven(f, HalfFloats.floatToHalf(f) & 0xffff, HalfFloatsTest::halfMagnitude, HALF_INF);
  }

  @Property(tries = 3000)
  @Label("float16: floats within a few ulps of a rounding midpoint round to the nearest half, ties to even")
  void float16NearMidpointsRoundToNearest(@ForAll("nearHalfMidpoints") float f) {
    assertNearestEven(f, HalfFloats.floatToHalf(f) & 0xffff, HalfFloatsTest::halfMagnitude, HALF_INF);
  }

  @Property(tries = 1000)
  @Label("float16: rounding is symmetric in sign and monotonic")
  void float16RoundingIsSymmetricAndMonotonic(@ForAll("halfRangeFloats") float a, @ForAll("halfRangeFloats") float b) {
    assertThat(HalfFloats.floatToHalf(-a) & 0xffff).isEqualTo((HalfFloats.floatToHalf(a) & 0xffff) ^ 0x8000);
    float lo = Math.min(a, b);
    float hi = Math.max(a, b);
    assertThat(HalfFloats.halfToFloat(HalfFloats.floatToHalf(lo)))
        .isLessThanOrEqualTo(HalfFloats.halfToFloat(HalfFloats.floatToHalf(hi)));
  }

  @Property(tries = 3000)
  @Label("bfloat16: any float rounds like round-to-nearest-even of its top 16 bits, and that is the nearest bfloat16")
  void bfloat16AnyFloatIsRoundToNearestEvenOfTopBits(@ForAll("anyFloat") float f) {
    int result = HalfFloats.floatToBfloat16(f) & 0xffff;
    assertThat(result).isEqualTo(bf16Reference(f));
    assertNearestEven(f, result, HalfFloatsTest::bf16Magnitude, BF16_INF);
  }

  @Property(tries = 3000)
  @Label("bfloat16: floats within a few ulps of a rounding midpoint round to the nearest bfloat16, ties to even")
  void bfloat16NearMidpointsRoundToNearest(@ForAll("nearBf16Midpoints") float f) {
    int result = HalfFloats.floatToBfloat16(f) & 0xffff;
    assertThat(result).isEqualTo(bf16Reference(f));
    assertNearestEven(f, result, HalfFloatsTest::bf16Magnitude, BF16_INF);
  }

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<Float> anyFloat() {
    return Arbitraries.integers().map(Float::intBitsToFloat).filter(f -> !Float.isNaN(f));
  }

  /** Magnitudes from 2^-26 to 2^17 spread evenly over the exponents, either sign. */
  @Provide
  Arbitrary<Float> halfRangeFloats() {
    return Combinators.combine(
            Arbitraries.integers().between(0x32800000, 0x48000000), Arbitraries.of(0, 0x80000000))
        .as((bits, sign) -> Float.intBitsToFloat(bits | sign));
  }

  @Provide
  Arbitrary<Float> nearHalfMidpoints() {
    return Combinators.combine(
            Arbitraries.integers().between(0, HALF_INF - 1),
            Arbitraries.integers().between(-3, 3),
            Arbitraries.of(false, true))
        .as((m, k, negative) -> {
          float mid = (float) ((halfMagnitude(m) + halfMagnitude(m + 1)) / 2);
          return withSign(Float.intBitsToFloat(Float.floatToRawIntBits(mid) + k), negative);
        });
  }

  @Provide
  Arbitrary<Float> nearBf16Midpoints() {
    return Combinators.combine(
            Arbitraries.integers().between(0, BF16_INF - 1),
            Arbitraries.integers().between(-3, 3),
            Arbitraries.of(0, 0x80000000))
        .as((m, k, sign) -> Float.intBitsToFloat((((m << 16) | 0x8000) + k) | sign));
  }
}
