package dev.swell.api;

/** Conversions between float32 and the two 16-bit float formats (the JDK has them only from 20). */
final class HalfFloats {

  private HalfFloats() {}

  static float halfToFloat(short bits) {
    int h = bits & 0xffff;
    int sign = (h & 0x8000) << 16;
    int exp = (h >>> 10) & 0x1f;
    int mant = h & 0x3ff;
    if (exp == 0x1f) { // infinity or NaN: keep the payload's top bits
      return Float.intBitsToFloat(sign | 0x7f800000 | (mant << 13));
    }
    if (exp == 0) {
      if (mant == 0) {
        return Float.intBitsToFloat(sign);
      }
      // subnormal half: value = mant * 2^-24
      float v = mant * 0x1p-24f;
      return sign == 0 ? v : -v;
    }
    return Float.intBitsToFloat(sign | ((exp + 112) << 23) | (mant << 13));
  }

  static short floatToHalf(float f) {
    int x = Float.floatToRawIntBits(f);
    int sign = (x >>> 16) & 0x8000;
    int exp = (x >>> 23) & 0xff;
    int mant = x & 0x7fffff;
    if (exp == 0xff) { // infinity or NaN (keep NaN a NaN)
      return (short) (sign | 0x7c00 | (mant != 0 ? 0x200 | (mant >>> 13) : 0));
    }
    int e = exp - 127 + 15;
    if (e >= 0x1f) { // overflow to infinity
      return (short) (sign | 0x7c00);
    }
    if (e <= 0) { // subnormal half or zero
      if (e < -10) {
        return (short) sign;
      }
      int m = mant | 0x800000;
      int shift = 14 - e;
      int half = m >>> shift;
      int rest = m & ((1 << shift) - 1);
      int mid = 1 << (shift - 1);
      if (rest > mid || (rest == mid && (half & 1) != 0)) {
        half++;
      }
      return (short) (sign | half);
    }
    int half = (e << 10) | (mant >>> 13);
    int rest = mant & 0x1fff;
    if (rest > 0x1000 || (rest == 0x1000 && (half & 1) != 0)) {
      half++; // may carry into the exponent, which rounds up to infinity correctly
    }
    return (short) (sign | half);
  }

  static float bfloat16ToFloat(short bits) {
    return Float.intBitsToFloat((bits & 0xffff) << 16);
  }

  static short floatToBfloat16(float f) {
    int x = Float.floatToRawIntBits(f);
    if ((x & 0x7fffffff) > 0x7f800000) { // NaN: keep it quiet and a NaN
      return (short) ((x >>> 16) | 0x40);
    }
    int rounding = 0x7fff + ((x >>> 16) & 1);
    return (short) ((x + rounding) >>> 16);
  }
}
