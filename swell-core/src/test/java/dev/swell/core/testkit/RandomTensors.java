package dev.swell.core.testkit;

import dev.swell.api.DType;
import dev.swell.api.Tensor;
import java.util.SplittableRandom;

/** Random tensors of any dtype, for tests. Reproducible from the random source. */
public final class RandomTensors {

  private RandomTensors() {}

  /**
   * Makes a tensor of random values. Floats are finite, mostly in [-4, 4), with a few special
   * values (zero, negative zero, large magnitudes); 16-bit floats are random bit patterns of
   * finite values.
   *
   * @param dtype the element type
   * @param r the random source
   * @param shape the dimensions
   * @return the tensor
   */
  public static Tensor random(DType dtype, SplittableRandom r, long... shape) {
    int n = Tensor.elementCount(shape);
    switch (dtype) {
      case FLOAT32: {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
          a[i] = specialOr(r, (float) (r.nextDouble() * 8 - 4));
        }
        return Tensor.of(a, shape);
      }
      case FLOAT64: {
        double[] a = new double[n];
        for (int i = 0; i < n; i++) {
          a[i] = r.nextInt(16) == 0 ? -0.0 : r.nextDouble() * 8 - 4;
        }
        return Tensor.of(a, shape);
      }
      case FLOAT16:
      case BFLOAT16: {
        short[] a = new short[n];
        int expMask = dtype == DType.FLOAT16 ? 0x7c00 : 0x7f80;
        for (int i = 0; i < n; i++) {
          short s;
          do {
            s = (short) r.nextInt(1 << 16);
          } while ((s & expMask) == expMask); // no infinities or NaNs
          a[i] = s;
        }
        return Tensor.ofShorts(dtype, a, shape);
      }
      case INT8:
      case UINT8: {
        byte[] a = new byte[n];
        for (int i = 0; i < n; i++) {
          a[i] = (byte) r.nextInt(256);
        }
        return Tensor.ofBytes(dtype, a, shape);
      }
      case BOOL: {
        boolean[] a = new boolean[n];
        for (int i = 0; i < n; i++) {
          a[i] = r.nextBoolean();
        }
        return Tensor.of(a, shape);
      }
      case INT16: {
        short[] a = new short[n];
        for (int i = 0; i < n; i++) {
          a[i] = (short) r.nextInt(1 << 16);
        }
        return Tensor.ofShorts(dtype, a, shape);
      }
      case INT32: {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = r.nextInt();
        }
        return Tensor.of(a, shape);
      }
      case INT64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
          a[i] = r.nextLong();
        }
        return Tensor.of(a, shape);
      }
      case STRING: {
        String[] a = new String[n];
        String alphabet = "abcXYZ 019-é漢字🙂";
        for (int i = 0; i < n; i++) {
          StringBuilder sb = new StringBuilder();
          int len = r.nextInt(8);
          for (int k = 0; k < len; k++) {
            int at = r.nextInt(alphabet.length());
            if (Character.isHighSurrogate(alphabet.charAt(at))) {
              sb.append(alphabet, at, at + 2);
            } else if (!Character.isLowSurrogate(alphabet.charAt(at))) {
              sb.append(alphabet.charAt(at));
            }
          }
          a[i] = sb.toString();
        }
        return Tensor.of(a, shape);
      }
      default:
        throw new IllegalArgumentException(String.valueOf(dtype));
    }
  }

  private static float specialOr(SplittableRandom r, float v) {
    switch (r.nextInt(32)) {
      case 0:
        return 0f;
      case 1:
        return -0f;
      case 2:
        return 1e30f;
      case 3:
        return -1e-30f;
      default:
        return v;
    }
  }
}
