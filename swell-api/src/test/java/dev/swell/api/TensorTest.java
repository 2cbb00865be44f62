package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatCode;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ReadOnlyBufferException;
import java.nio.ShortBuffer;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Set;
import java.util.function.Function;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class TensorTest {

  private static final ByteOrder NATIVE = ByteOrder.nativeOrder();
  private static final ByteOrder FOREIGN =
      NATIVE == ByteOrder.LITTLE_ENDIAN ? ByteOrder.BIG_ENDIAN : ByteOrder.LITTLE_ENDIAN;

  /** A small valid tensor of every dtype, made by the array factories. */
  static Tensor sample(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return Tensor.of(new float[] {1.5f, -2f}, 2);
      case FLOAT64:
        return Tensor.of(new double[] {1.5, -2}, 2);
      case FLOAT16:
      case BFLOAT16:
        return Tensor.ofHalf(dtype, new float[] {1.5f, -2f}, 2);
      case INT8:
      case UINT8:
        return Tensor.ofBytes(dtype, new byte[] {1, -2}, 2);
      case INT16:
        return Tensor.ofShorts(dtype, new short[] {1, -2}, 2);
      case INT32:
        return Tensor.of(new int[] {1, -2}, 2);
      case INT64:
        return Tensor.of(new long[] {1, -2}, 2);
      case BOOL:
        return Tensor.of(new boolean[] {true, false}, 2);
      case STRING:
        return Tensor.of(new String[] {"a", "b"}, 2);
      default:
        throw new AssertionError(dtype);
    }
  }

  static int[] rawBits(float[] values) {
    int[] bits = new int[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Float.floatToRawIntBits(values[i]);
    }
    return bits;
  }

  static long[] rawBits(double[] values) {
    long[] bits = new long[values.length];
    for (int i = 0; i < values.length; i++) {
      bits[i] = Double.doubleToRawLongBits(values[i]);
    }
    return bits;
  }

  static byte[] bytesOf(ByteBuffer b) {
    byte[] out = new byte[b.remaining()];
    b.duplicate().get(out);
    return out;
  }

  // ------------------------------------------------------------------ round trips

  @Nested
  @DisplayName("each factory round-trips through its accessor")
  class RoundTrips {

    @Test
    void float32KeepsEveryBitIncludingNaNPayloadsAndNegativeZero() {
      float[] data = {1f, -0f, 0f, Float.NaN, Float.intBitsToFloat(0x7fc00123), Float.POSITIVE_INFINITY,
          Float.NEGATIVE_INFINITY, Float.MIN_VALUE, Float.MAX_VALUE, 3.25f, -7f, 1e-20f};
      Tensor t = Tensor.of(data, 3, 4);

      assertThat(t.dtype()).isEqualTo(DType.FLOAT32);
      assertThat(t.shape()).containsExactly(3, 4);
      assertThat(t.rank()).isEqualTo(2);
      assertThat(t.dim(0)).isEqualTo(3);
      assertThat(t.dim(1)).isEqualTo(4);
      assertThat(t.size()).isEqualTo(12);
      assertThat(t.byteSize()).isEqualTo(48);
      assertThat(rawBits(t.toFloatArray())).containsExactly(rawBits(data));
      FloatBuffer typed = (FloatBuffer) t.typedBuffer();
      assertThat(typed.remaining()).isEqualTo(12);
      assertThat(Float.floatToRawIntBits(typed.get(4))).isEqualTo(0x7fc00123);
    }

    @Test
    void float64KeepsEveryBit() {
      double[] data = {1, -0.0, Double.NaN, Double.longBitsToDouble(0x7ff8000000000abcL),
          Double.MAX_VALUE, Double.MIN_VALUE, -1e300};
      Tensor t = Tensor.of(data, 7, 1);

      assertThat(t.dtype()).isEqualTo(DType.FLOAT64);
      assertThat(t.shape()).containsExactly(7, 1);
      assertThat(t.byteSize()).isEqualTo(56);
      assertThat(rawBits(t.toDoubleArray())).containsExactly(rawBits(data));
      assertThat(((DoubleBuffer) t.typedBuffer()).get(6)).isEqualTo(-1e300);
    }

    @Test
    void int32() {
      int[] data = {0, 1, -1, Integer.MIN_VALUE, Integer.MAX_VALUE, 42};
      Tensor t = Tensor.of(data, 1, 2, 3);

      assertThat(t.dtype()).isEqualTo(DType.INT32);
      assertThat(t.shape()).containsExactly(1, 2, 3);
      assertThat(t.byteSize()).isEqualTo(24);
      assertThat(t.toIntArray()).containsExactly(data);
      assertThat(((IntBuffer) t.typedBuffer()).get(3)).isEqualTo(Integer.MIN_VALUE);
    }

    @Test
    void int64() {
      long[] data = {0, Long.MIN_VALUE, Long.MAX_VALUE, -5, 1L << 40};
      Tensor t = Tensor.of(data, 5);

      assertThat(t.dtype()).isEqualTo(DType.INT64);
      assertThat(t.shape()).containsExactly(5);
      assertThat(t.byteSize()).isEqualTo(40);
      assertThat(t.toLongArray()).containsExactly(data);
      assertThat(((LongBuffer) t.typedBuffer()).get(4)).isEqualTo(1L << 40);
    }

    @Test
    void bool() {
      boolean[] data = {true, false, false, true, true, false};
      Tensor t = Tensor.of(data, 2, 3);

      assertThat(t.dtype()).isEqualTo(DType.BOOL);
      assertThat(t.byteSize()).isEqualTo(6);
      assertThat(t.toBooleanArray()).containsExactly(data);
      assertThat(t.toByteArray()).as("stored as one byte per element, 0 or 1")
          .containsExactly(1, 0, 0, 1, 1, 0);
    }

    @Test
    void string() {
      String[] data = {"", "hello", "naïve ☃ 😀", "a\u0000b"};
      Tensor t = Tensor.of(data, 2, 2);

      assertThat(t.dtype()).isEqualTo(DType.STRING);
      assertThat(t.shape()).containsExactly(2, 2);
      assertThat(t.size()).isEqualTo(4);
      assertThat(t.byteSize()).isEqualTo(-1);
      assertThat(t.toStringArray()).containsExactly(data);
    }

    @Test
    void int8BytesAreSigned() {
      byte[] data = {0, 1, -1, Byte.MIN_VALUE, Byte.MAX_VALUE};
      Tensor t = Tensor.ofBytes(DType.INT8, data, 5);

      assertThat(t.dtype()).isEqualTo(DType.INT8);
      assertThat(t.byteSize()).isEqualTo(5);
      assertThat(t.toByteArray()).containsExactly(data);
      assertThat(((ByteBuffer) t.typedBuffer()).get(3)).isEqualTo(Byte.MIN_VALUE);
    }

    @Test
    void uint8BytesReadBackUnsigned() {
      byte[] data = {0, 1, (byte) 0x80, (byte) 0xFF};
      Tensor t = Tensor.ofBytes(DType.UINT8, data, 2, 2);

      assertThat(t.dtype()).isEqualTo(DType.UINT8);
      byte[] back = t.toByteArray();
      assertThat(back).containsExactly(data);
      assertThat(Byte.toUnsignedInt(back[3])).isEqualTo(255);
      assertThat(Byte.toUnsignedInt(back[2])).isEqualTo(128);
    }

    @Test
    void boolFromBytes() {
      Tensor t = Tensor.ofBytes(DType.BOOL, new byte[] {0, 1, 1}, 3);

      assertThat(t.dtype()).isEqualTo(DType.BOOL);
      assertThat(t.toBooleanArray()).containsExactly(false, true, true);
      assertThat(t).isEqualTo(Tensor.of(new boolean[] {false, true, true}, 3));
    }

    @Test
    void int16() {
      short[] data = {0, -1, Short.MIN_VALUE, Short.MAX_VALUE};
      Tensor t = Tensor.ofShorts(DType.INT16, data, 4);

      assertThat(t.dtype()).isEqualTo(DType.INT16);
      assertThat(t.byteSize()).isEqualTo(8);
      assertThat(t.toShortArray()).containsExactly(data);
      assertThat(((ShortBuffer) t.typedBuffer()).get(2)).isEqualTo(Short.MIN_VALUE);
    }

    @Test
    @DisplayName("ofShorts(FLOAT16) keeps the raw bits and toFloatArray decodes them")
    void float16Bits() {
      short[] bits = {0x3C00, (short) 0xC000, 0x7BFF, 0x0001, (short) 0x8000, 0x7C00, 0x7E00};
      Tensor t = Tensor.ofShorts(DType.FLOAT16, bits, 7);

      assertThat(t.dtype()).isEqualTo(DType.FLOAT16);
      assertThat(t.byteSize()).isEqualTo(14);
      assertThat(t.toShortArray()).containsExactly(bits);
      float[] f = t.toFloatArray();
      assertThat(f[0]).isEqualTo(1f);
      assertThat(f[1]).isEqualTo(-2f);
      assertThat(f[2]).isEqualTo(65504f);
      assertThat(f[3]).isEqualTo(0x1p-24f);
      assertThat(Float.floatToRawIntBits(f[4])).isEqualTo(0x80000000);
      assertThat(f[5]).isEqualTo(Float.POSITIVE_INFINITY);
      assertThat(f[6]).isNaN();
    }

    @Test
    @DisplayName("ofShorts(BFLOAT16) keeps the raw bits and toFloatArray decodes them")
    void bfloat16Bits() {
      short[] bits = {0x3F80, (short) 0xC000, 0x7F80, 0x4049};
      Tensor t = Tensor.ofShorts(DType.BFLOAT16, bits, 4);

      assertThat(t.dtype()).isEqualTo(DType.BFLOAT16);
      assertThat(t.toShortArray()).containsExactly(bits);
      assertThat(t.toFloatArray()).containsExactly(1f, -2f, Float.POSITIVE_INFINITY, 3.140625f);
    }

    @Test
    @DisplayName("ofHalf(FLOAT16) rounds to the nearest half, and representable values come back exactly")
    void ofHalfFloat16() {
      Tensor t = Tensor.ofHalf(DType.FLOAT16, new float[] {1f, -2f, 65504f, 0.1f, 1e6f, 0x1p-24f}, 2, 3);

      assertThat(t.dtype()).isEqualTo(DType.FLOAT16);
      assertThat(t.shape()).containsExactly(2, 3);
      assertThat(t.toShortArray())
          .containsExactly((short) 0x3C00, (short) 0xC000, (short) 0x7BFF, (short) 0x2E66, (short) 0x7C00,
              (short) 0x0001);
      assertThat(t.toFloatArray())
          .containsExactly(1f, -2f, 65504f, 0.0999755859375f, Float.POSITIVE_INFINITY, 0x1p-24f);
    }

    @Test
    @DisplayName("ofHalf(BFLOAT16) rounds to the nearest bfloat16, and representable values come back exactly")
    void ofHalfBfloat16() {
      Tensor t = Tensor.ofHalf(DType.BFLOAT16, new float[] {1f, -2f, 3.14159265f}, 3);

      assertThat(t.dtype()).isEqualTo(DType.BFLOAT16);
      assertThat(t.toShortArray()).containsExactly((short) 0x3F80, (short) 0xC000, (short) 0x4049);
      assertThat(t.toFloatArray()).containsExactly(1f, -2f, 3.140625f);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, mode = EnumSource.Mode.EXCLUDE, names = "STRING")
    @DisplayName("fromBuffer reads the buffer's bytes as the elements")
    void fromBufferEveryFixedDtype(DType dtype) {
      int count = 6;
      ByteBuffer src = ByteBuffer.allocate(count * dtype.byteSize()).order(NATIVE);
      for (int i = 0; i < src.capacity(); i++) {
        src.put(i, dtype == DType.BOOL ? (byte) (i % 2) : (byte) (i * 37 + 11));
      }
      Tensor t = Tensor.fromBuffer(dtype, src, 2, 3);

      assertThat(t.dtype()).isEqualTo(dtype);
      assertThat(t.shape()).containsExactly(2, 3);
      assertThat(t.size()).isEqualTo(count);
      assertThat(t.byteSize()).isEqualTo(src.capacity());
      assertThat(bytesOf(t.buffer())).containsExactly(bytesOf(src));
    }

    @Test
    @DisplayName("fromBuffer values written in native order read back through the typed accessors")
    void fromBufferTypedValues() {
      ByteBuffer f = ByteBuffer.allocateDirect(12).order(NATIVE);
      f.asFloatBuffer().put(new float[] {1.5f, -3f, 7f});
      assertThat(Tensor.fromBuffer(DType.FLOAT32, f, 3).toFloatArray()).containsExactly(1.5f, -3f, 7f);

      ByteBuffer l = ByteBuffer.allocate(16).order(NATIVE);
      l.asLongBuffer().put(new long[] {Long.MIN_VALUE, 9});
      assertThat(Tensor.fromBuffer(DType.INT64, l, 2, 1).toLongArray()).containsExactly(Long.MIN_VALUE, 9);

      ByteBuffer d = ByteBuffer.allocate(8).order(NATIVE);
      d.asDoubleBuffer().put(new double[] {Math.PI});
      assertThat(Tensor.fromBuffer(DType.FLOAT64, d).toDoubleArray()).containsExactly(Math.PI);

      ByteBuffer i = ByteBuffer.allocate(8).order(NATIVE);
      i.asIntBuffer().put(new int[] {-1, 65536});
      assertThat(Tensor.fromBuffer(DType.INT32, i, 2).toIntArray()).containsExactly(-1, 65536);

      ByteBuffer h = ByteBuffer.allocate(4).order(NATIVE);
      h.asShortBuffer().put(new short[] {0x3C00, (short) 0xC000});
      assertThat(Tensor.fromBuffer(DType.FLOAT16, h, 2).toFloatArray()).containsExactly(1f, -2f);
    }

    @Test
    @DisplayName("fromBuffer refuses a multi-byte buffer whose order setting is foreign, leaving it as it was")
    void fromBufferRefusesAForeignOrderSetting() {
      ByteBuffer src = ByteBuffer.allocate(8).order(NATIVE);
      src.asIntBuffer().put(new int[] {1, 0x01020304});
      src.order(FOREIGN);

      assertThatThrownBy(() -> Tensor.fromBuffer(DType.INT32, src, 2)).isInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(FOREIGN.toString());
      assertThat(src.order()).as("the caller's buffer is left as it was").isEqualTo(FOREIGN);
      assertThat(Tensor.fromBuffer(DType.INT32, src.order(NATIVE), 2).toIntArray()).containsExactly(1, 0x01020304);
    }

    @Test
    @DisplayName("a tensor's buffer fed back to fromBuffer gives an equal tensor")
    void bufferFeedsFromBuffer() {
      for (DType dtype : DType.values()) {
        if (dtype == DType.STRING) {
          continue;
        }
        Tensor t = sample(dtype);
        assertThat(Tensor.fromBuffer(dtype, t.buffer(), t.shape())).as("%s", dtype).isEqualTo(t);
      }
    }
  }

  // ------------------------------------------------------------------ shape validation

  @Nested
  @DisplayName("shape validation")
  class ShapeValidation {

    @Test
    @DisplayName("a negative dimension is rejected, naming the dimension")
    void negativeDimension() {
      assertThatThrownBy(() -> Tensor.of(new float[0], 2, -1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("dimension 1")
          .hasMessageContaining("[2, -1]")
          .hasMessageContaining("negative");
      assertThatThrownBy(() -> Tensor.of(new String[0], -3))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("negative");
      assertThatThrownBy(() -> Tensor.fromBuffer(DType.INT8, ByteBuffer.allocate(0), 0, Long.MIN_VALUE))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("negative");
      assertThatThrownBy(() -> Tensor.elementCount(-1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("negative");
    }

    @Test
    @DisplayName("an element count beyond Integer.MAX_VALUE is rejected, for every dtype")
    void elementCountOverflow() {
      assertThatThrownBy(() -> Tensor.of(new float[0], 65536, 65536))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[65536, 65536]")
          .hasMessageContaining("more than " + Integer.MAX_VALUE + " elements");
      assertThatThrownBy(() -> Tensor.of(new String[0], Integer.MAX_VALUE + 1L))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("more than " + Integer.MAX_VALUE + " elements");
      assertThatThrownBy(() -> Tensor.ofBytes(DType.INT8, new byte[0], Long.MAX_VALUE, Long.MAX_VALUE))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("elements");
      assertThatThrownBy(() -> Tensor.of(new boolean[0], 1L << 32, 1L << 32, 2))
          .as("a product that wraps around to a small long must still be caught")
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("elements");
    }

    @Test
    @DisplayName("elementCount is exact up to Integer.MAX_VALUE and rejects one more")
    void elementCountBoundary() {
      assertThat(Tensor.elementCount()).isEqualTo(1);
      assertThat(Tensor.elementCount(0)).isZero();
      assertThat(Tensor.elementCount(2, 3, 4)).isEqualTo(24);
      assertThat(Tensor.elementCount(Integer.MAX_VALUE)).isEqualTo(Integer.MAX_VALUE);
      assertThat(Tensor.elementCount(1, Integer.MAX_VALUE, 1)).isEqualTo(Integer.MAX_VALUE);
      assertThat(Tensor.elementCount(46340, 46340)).isEqualTo(2147395600);
      assertThat(Tensor.elementCount(7, 151, 2031671)).isEqualTo(2147476247); // 7*151*2031671 < 2^31
      assertThatThrownBy(() -> Tensor.elementCount(46341, 46341)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.elementCount(Integer.MAX_VALUE + 1L)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.elementCount(2, 1L << 30)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("a fixed-size tensor over 2 GiB is rejected before anything is allocated")
    void byteSizeOverTwoGiB() {
      assertThatThrownBy(() -> Tensor.of(new float[0], 1L << 29)) // 2^31 bytes
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[536870912]")
          .hasMessageContaining("float32")
          .hasMessageContaining("2 GiB");
      assertThatThrownBy(() -> Tensor.of(new double[0], 1L << 14, 1L << 14)) // 2^28 elements, 2^31 bytes
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("2 GiB");
      assertThatThrownBy(() -> Tensor.of(new long[0], Integer.MAX_VALUE))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("2 GiB");
      assertThatThrownBy(() -> Tensor.ofShorts(DType.FLOAT16, new short[0], 1L << 30))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("float16")
          .hasMessageContaining("2 GiB");
    }

    @Test
    @DisplayName("just under 2 GiB, and any size of a one-byte or string type, fails only on the data length")
    void byteSizeBoundary() {
      assertThatThrownBy(() -> Tensor.of(new float[0], (1L << 29) - 1)) // 2^31 - 4 bytes
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("holds 536870911 elements but the data has 0")
          .hasMessageNotContaining("GiB");
      assertThatThrownBy(() -> Tensor.ofBytes(DType.UINT8, new byte[0], Integer.MAX_VALUE))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("holds " + Integer.MAX_VALUE + " elements but the data has 0")
          .hasMessageNotContaining("GiB");
      assertThatThrownBy(() -> Tensor.of(new String[0], 1L << 29))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("holds 536870912 elements")
          .hasMessageNotContaining("GiB");
    }

    @Test
    @DisplayName("data whose length differs from the shape's element count is rejected with both numbers")
    void dataLengthMismatch() {
      assertThatThrownBy(() -> Tensor.of(new float[5], 2, 3))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("[2, 3]")
          .hasMessageContaining("holds 6 elements but the data has 5");
      assertThatThrownBy(() -> Tensor.of(new double[7], 2, 3)).isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("data has 7");
      assertThatThrownBy(() -> Tensor.of(new int[1], 2)).isExactlyInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.of(new long[3], 2)).isExactlyInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.of(new boolean[3], 2)).isExactlyInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.of(new String[] {"a"}, 2)).isExactlyInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.ofBytes(DType.INT8, new byte[3], 2)).isExactlyInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.ofShorts(DType.INT16, new short[3], 2)).isExactlyInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.ofHalf(DType.FLOAT16, new float[3], 2)).isExactlyInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, ByteBuffer.allocate(12).order(NATIVE), 2, 2))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("holds 4 elements but the data has 3");
    }

    @Test
    @DisplayName("fromBuffer rejects a byte count that is not a whole number of elements")
    void fromBufferPartialElement() {
      assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, ByteBuffer.allocate(10).order(NATIVE), 2))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("10 bytes")
          .hasMessageContaining("float32")
          .hasMessageContaining("4 bytes each");
    }

    @Test
    @DisplayName("rank 0 is a scalar with exactly one element")
    void scalar() {
      Tensor s = Tensor.of(new float[] {7f});
      assertThat(s.rank()).isZero();
      assertThat(s.shape()).isEmpty();
      assertThat(s.size()).isEqualTo(1);
      assertThat(s.byteSize()).isEqualTo(4);
      assertThat(s.toFloatArray()).containsExactly(7f);
      assertThat(Tensor.of(new String[] {"x"}).rank()).isZero();
      assertThat(Tensor.fromBuffer(DType.INT64, ByteBuffer.allocate(8).order(NATIVE)).size()).isEqualTo(1);

      assertThatThrownBy(() -> Tensor.of(new float[0]))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("holds 1 elements but the data has 0");
      assertThatThrownBy(() -> Tensor.of(new float[] {1, 2}))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("holds 1 elements but the data has 2");
      assertThatThrownBy(() -> Tensor.of(new String[0])).isExactlyInstanceOf(IllegalArgumentException.class);
    }

    @Test
    @DisplayName("a zero dimension gives an empty tensor, which needs empty data")
    void zeroSizeDimensions() {
      Tensor empty = Tensor.of(new float[0], 3, 0, 2);
      assertThat(empty.shape()).containsExactly(3, 0, 2);
      assertThat(empty.size()).isZero();
      assertThat(empty.byteSize()).isZero();
      assertThat(empty.toFloatArray()).isEmpty();
      assertThat(empty.buffer().remaining()).isZero();
      assertThat(empty.toString()).isEqualTo("Tensor[float32 3x0x2]");
      assertThat(Tensor.of(new String[0], 0).toStringArray()).isEmpty();
      assertThat(Tensor.fromBuffer(DType.BOOL, ByteBuffer.allocate(0), 0, 5).size()).isZero();
      assertThat(Tensor.of(new long[0], 0, Long.MAX_VALUE).size())
          .as("a zero before a huge dimension: the product is 0").isZero();

      assertThatThrownBy(() -> Tensor.of(new float[1], 0, 3))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("holds 0 elements but the data has 1");
    }

    @Test
    @DisplayName("whether a shape is valid does not depend on the order of its dimensions")
    void validityIsIndependentOfDimensionOrder() {
      // elementCount is documented to reject only a negative dimension or a product that
      // overflows an int; [0, 2^31] and [2^31, 0] both have 0 elements.
      long huge = Integer.MAX_VALUE + 1L;
      assertThat(Tensor.elementCount(0, huge)).isZero();
      assertThatCode(() -> Tensor.elementCount(huge, 0)).doesNotThrowAnyException();
      assertThatCode(() -> Tensor.of(new float[0], Long.MAX_VALUE, 0)).doesNotThrowAnyException();
    }

    @Test
    @DisplayName("null data, shape or string element gives NullPointerException")
    void nulls() {
      assertThatThrownBy(() -> Tensor.of((float[]) null, 1)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> Tensor.of(new float[1], (long[]) null)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> Tensor.of(new String[] {"a", null}, 2))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("null");
      assertThatThrownBy(() -> Tensor.fromBuffer(DType.INT8, null, 1)).isInstanceOf(NullPointerException.class);
    }
  }

  // ------------------------------------------------------------------ dtype checks

  @Nested
  @DisplayName("dtype checks")
  class DtypeChecks {

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "FLOAT16", "BFLOAT16", "INT16", "INT32", "INT64", "STRING"})
    @DisplayName("ofBytes takes only one-byte types")
    void ofBytesRejectsWiderTypes(DType dtype) {
      assertThatThrownBy(() -> Tensor.ofBytes(dtype, new byte[] {1}, 1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ofBytes")
          .hasMessageContaining(dtype.displayName());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, names = {"FLOAT32", "FLOAT64", "INT8", "UINT8", "BOOL", "INT32", "INT64", "STRING"})
    @DisplayName("ofShorts takes only 16-bit types")
    void ofShortsRejectsOtherWidths(DType dtype) {
      assertThatThrownBy(() -> Tensor.ofShorts(dtype, new short[] {1}, 1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ofShorts")
          .hasMessageContaining(dtype.displayName());
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, mode = EnumSource.Mode.EXCLUDE, names = {"FLOAT16", "BFLOAT16"})
    @DisplayName("ofHalf takes only FLOAT16 and BFLOAT16")
    void ofHalfRejectsOtherTypes(DType dtype) {
      assertThatThrownBy(() -> Tensor.ofHalf(dtype, new float[] {1}, 1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("ofHalf")
          .hasMessageContaining(dtype.displayName());
    }

    @Test
    @DisplayName("fromBuffer rejects STRING")
    void fromBufferRejectsString() {
      assertThatThrownBy(() -> Tensor.fromBuffer(DType.STRING, ByteBuffer.allocate(4), 1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("string");
    }

    @ParameterizedTest
    @EnumSource(DType.class)
    @DisplayName("each accessor works on its dtypes and throws IllegalStateException naming itself and the dtype otherwise")
    void accessorsCheckTheDtype(DType dtype) {
      Map<String, Function<Tensor, Object>> accessors = new LinkedHashMap<>();
      Map<String, Set<DType>> allowed = new LinkedHashMap<>();
      accessors.put("toFloatArray", Tensor::toFloatArray);
      allowed.put("toFloatArray", EnumSet.of(DType.FLOAT32, DType.FLOAT16, DType.BFLOAT16));
      accessors.put("toDoubleArray", Tensor::toDoubleArray);
      allowed.put("toDoubleArray", EnumSet.of(DType.FLOAT64));
      accessors.put("toIntArray", Tensor::toIntArray);
      allowed.put("toIntArray", EnumSet.of(DType.INT32));
      accessors.put("toLongArray", Tensor::toLongArray);
      allowed.put("toLongArray", EnumSet.of(DType.INT64));
      accessors.put("toShortArray", Tensor::toShortArray);
      allowed.put("toShortArray", EnumSet.of(DType.INT16, DType.FLOAT16, DType.BFLOAT16));
      accessors.put("toByteArray", Tensor::toByteArray);
      allowed.put("toByteArray", EnumSet.of(DType.INT8, DType.UINT8, DType.BOOL));
      accessors.put("toBooleanArray", Tensor::toBooleanArray);
      allowed.put("toBooleanArray", EnumSet.of(DType.BOOL));
      accessors.put("toStringArray", Tensor::toStringArray);
      allowed.put("toStringArray", EnumSet.of(DType.STRING));

      Tensor t = sample(dtype);
      accessors.forEach((name, accessor) -> {
        if (allowed.get(name).contains(dtype)) {
          assertThat(accessor.apply(t)).as("%s on %s", name, dtype).isNotNull();
        } else {
          assertThatThrownBy(() -> accessor.apply(t))
              .as("%s on %s", name, dtype)
              .isExactlyInstanceOf(IllegalStateException.class)
              .hasMessageContaining(name + "()")
              .hasMessageEndingWith(" " + dtype.displayName());
        }
      });
    }

    @Test
    @DisplayName("a string tensor has no byte buffer")
    void stringHasNoBuffer() {
      Tensor t = sample(DType.STRING);
      assertThatThrownBy(t::buffer).isExactlyInstanceOf(IllegalStateException.class).hasMessageContaining("string");
      assertThatThrownBy(t::typedBuffer).isExactlyInstanceOf(IllegalStateException.class);
    }

    @Test
    @DisplayName("typedBuffer has the buffer type of the dtype")
    void typedBufferTypes() {
      Map<DType, Class<? extends Buffer>> expected = new EnumMap<>(DType.class);
      expected.put(DType.FLOAT32, FloatBuffer.class);
      expected.put(DType.FLOAT64, DoubleBuffer.class);
      expected.put(DType.INT64, LongBuffer.class);
      expected.put(DType.INT32, IntBuffer.class);
      expected.put(DType.INT16, ShortBuffer.class);
      expected.put(DType.FLOAT16, ShortBuffer.class);
      expected.put(DType.BFLOAT16, ShortBuffer.class);
      expected.put(DType.INT8, ByteBuffer.class);
      expected.put(DType.UINT8, ByteBuffer.class);
      expected.put(DType.BOOL, ByteBuffer.class);
      expected.forEach((dtype, type) -> {
        Buffer b = sample(dtype).typedBuffer();
        assertThat(b).as("%s", dtype).isInstanceOf(type);
        assertThat(b.remaining()).as("%s", dtype).isEqualTo(2);
        assertThat(b.isReadOnly()).as("%s", dtype).isTrue();
      });
    }
  }

  // ------------------------------------------------------------------ booleans

  @Nested
  @DisplayName("bool validation")
  class BoolValidation {

    @Test
    @DisplayName("ofBytes(BOOL) rejects any byte other than 0 and 1, naming the element and value")
    void ofBytesRejectsNonBooleans() {
      assertThatThrownBy(() -> Tensor.ofBytes(DType.BOOL, new byte[] {0, 1, 2}, 3))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("bool element 2 is 2")
          .hasMessageContaining("0 or 1");
      assertThatThrownBy(() -> Tensor.ofBytes(DType.BOOL, new byte[] {-1}, 1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("is -1");
      for (int v = Byte.MIN_VALUE; v <= Byte.MAX_VALUE; v++) {
        byte b = (byte) v;
        if (v == 0 || v == 1) {
          assertThat(Tensor.ofBytes(DType.BOOL, new byte[] {b}).toByteArray()).containsExactly(b);
        } else {
          assertThatThrownBy(() -> Tensor.ofBytes(DType.BOOL, new byte[] {b}))
              .as("byte %d", v).isExactlyInstanceOf(IllegalArgumentException.class);
        }
      }
    }

    @Test
    @DisplayName("the same bytes are fine as INT8 or UINT8")
    void otherByteTypesTakeAnyByte() {
      assertThat(Tensor.ofBytes(DType.INT8, new byte[] {2, -1}, 2).toByteArray()).containsExactly(2, -1);
      assertThat(Tensor.ofBytes(DType.UINT8, new byte[] {2, -1}, 2).toByteArray()).containsExactly(2, -1);
    }

    @Test
    @DisplayName("fromBuffer(BOOL) checks only the bytes between position and limit, indexing from the position")
    void fromBufferChecksTheRemainingBytes() {
      ByteBuffer src = ByteBuffer.wrap(new byte[] {9, 9, 0, 1, 7, 9});
      src.position(2).limit(5);
      assertThatThrownBy(() -> Tensor.fromBuffer(DType.BOOL, src, 3))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("bool element 2 is 7");

      src.limit(4);
      assertThat(Tensor.fromBuffer(DType.BOOL, src, 2).toBooleanArray()).containsExactly(false, true);
    }
  }

  // ------------------------------------------------------------------ immutability

  @Nested
  @DisplayName("immutability")
  class Immutability {

    @Test
    @DisplayName("changing the source array afterwards does not change the tensor")
    void sourceArraysAreCopied() {
      float[] f = {1, 2};
      double[] d = {1, 2};
      int[] i = {1, 2};
      long[] l = {1, 2};
      boolean[] z = {true, false};
      String[] s = {"a", "b"};
      byte[] b = {1, 0};
      short[] h = {1, 2};
      float[] half = {1, 2};
      Tensor tf = Tensor.of(f, 2);
      Tensor td = Tensor.of(d, 2);
      Tensor ti = Tensor.of(i, 2);
      Tensor tl = Tensor.of(l, 2);
      Tensor tz = Tensor.of(z, 2);
      Tensor ts = Tensor.of(s, 2);
      Tensor tb = Tensor.ofBytes(DType.BOOL, b, 2);
      Tensor th = Tensor.ofShorts(DType.INT16, h, 2);
      Tensor thalf = Tensor.ofHalf(DType.FLOAT16, half, 2);

      f[0] = 9;
      d[0] = 9;
      i[0] = 9;
      l[0] = 9;
      z[0] = false;
      s[0] = "z";
      b[0] = 0;
      h[0] = 9;
      half[0] = 9;

      assertThat(tf.toFloatArray()).containsExactly(1, 2);
      assertThat(td.toDoubleArray()).containsExactly(1, 2);
      assertThat(ti.toIntArray()).containsExactly(1, 2);
      assertThat(tl.toLongArray()).containsExactly(1, 2);
      assertThat(tz.toBooleanArray()).containsExactly(true, false);
      assertThat(ts.toStringArray()).containsExactly("a", "b");
      assertThat(tb.toBooleanArray()).containsExactly(true, false);
      assertThat(th.toShortArray()).containsExactly((short) 1, (short) 2);
      assertThat(thalf.toFloatArray()).containsExactly(1, 2);
    }

    @Test
    @DisplayName("changing a returned array does not change the tensor")
    void returnedArraysAreCopies() {
      Tensor tf = Tensor.of(new float[] {1, 2}, 2);
      tf.toFloatArray()[0] = 9;
      assertThat(tf.toFloatArray()).containsExactly(1, 2);

      Tensor td = Tensor.of(new double[] {1, 2}, 2);
      td.toDoubleArray()[0] = 9;
      assertThat(td.toDoubleArray()).containsExactly(1, 2);

      Tensor ti = Tensor.of(new int[] {1, 2}, 2);
      ti.toIntArray()[0] = 9;
      assertThat(ti.toIntArray()).containsExactly(1, 2);

      Tensor tl = Tensor.of(new long[] {1, 2}, 2);
      tl.toLongArray()[0] = 9;
      assertThat(tl.toLongArray()).containsExactly(1, 2);

      Tensor tz = Tensor.of(new boolean[] {true, false}, 2);
      tz.toBooleanArray()[0] = false;
      tz.toByteArray()[0] = 0;
      assertThat(tz.toBooleanArray()).containsExactly(true, false);

      Tensor ts = Tensor.of(new String[] {"a", "b"}, 2);
      ts.toStringArray()[0] = "z";
      assertThat(ts.toStringArray()).containsExactly("a", "b");

      Tensor th = Tensor.ofShorts(DType.INT16, new short[] {1, 2}, 2);
      th.toShortArray()[0] = 9;
      assertThat(th.toShortArray()).containsExactly((short) 1, (short) 2);
    }

    @Test
    @DisplayName("shape() returns a copy, and the shape array passed in is copied")
    void shapeIsCopied() {
      long[] shape = {2, 3};
      Tensor t = Tensor.of(new float[6], shape);
      shape[0] = 6;
      shape[1] = 1;
      assertThat(t.shape()).containsExactly(2, 3);

      t.shape()[0] = 99;
      assertThat(t.shape()).containsExactly(2, 3);
      assertThat(t.dim(0)).isEqualTo(2);

      long[] fromBufferShape = {4};
      Tensor b = Tensor.fromBuffer(DType.INT8, ByteBuffer.allocate(4), fromBufferShape);
      fromBufferShape[0] = 1;
      assertThat(b.shape()).containsExactly(4);

      long[] stringShape = {1};
      Tensor s = Tensor.of(new String[] {"x"}, stringShape);
      stringShape[0] = 7;
      assertThat(s.shape()).containsExactly(1);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, mode = EnumSource.Mode.EXCLUDE, names = "STRING")
    @DisplayName("buffer() is a read-only view at position 0, and using it does not move the next one")
    void bufferIsReadOnly(DType dtype) {
      Tensor t = sample(dtype);
      ByteBuffer b = t.buffer();
      assertThat(b.isReadOnly()).isTrue();
      assertThat(b.position()).isZero();
      assertThat(b.limit()).isEqualTo(t.byteSize());
      assertThat(b.order()).isEqualTo(NATIVE);
      assertThatThrownBy(() -> b.put(0, (byte) 1)).isInstanceOf(ReadOnlyBufferException.class);

      byte[] before = bytesOf(t.buffer());
      b.get(); // moves b, not the tensor
      b.order(FOREIGN);
      b.limit(0);
      ByteBuffer again = t.buffer();
      assertThat(again.position()).isZero();
      assertThat(again.limit()).isEqualTo(t.byteSize());
      assertThat(again.order()).isEqualTo(NATIVE);
      assertThat(bytesOf(again)).containsExactly(before);
      assertThat(Tensor.fromBuffer(dtype, again, t.shape())).isEqualTo(t);
    }

    @Test
    @DisplayName("the typed buffer is read-only too")
    void typedBufferIsReadOnly() {
      FloatBuffer fb = (FloatBuffer) Tensor.of(new float[] {1, 2}, 2).typedBuffer();
      assertThatThrownBy(() -> fb.put(0, 5f)).isInstanceOf(ReadOnlyBufferException.class);
      LongBuffer lb = (LongBuffer) Tensor.of(new long[] {1, 2}, 2).typedBuffer();
      assertThatThrownBy(() -> lb.put(0, 5L)).isInstanceOf(ReadOnlyBufferException.class);
    }

    @ParameterizedTest
    @EnumSource(value = DType.class, mode = EnumSource.Mode.EXCLUDE, names = "STRING")
    @DisplayName("tensors made by the array factories hold a heap buffer in native order (no native allocation a call)")
    void arrayFactoriesMakeHeapNativeBuffers(DType dtype) {
      ByteBuffer b = sample(dtype).buffer();
      assertThat(b.isDirect()).isFalse();
      assertThat(b.order()).isEqualTo(NATIVE);
    }

    @Test
    @DisplayName("every array factory, including the empty case, gives a heap native buffer")
    void everyArrayFactoryIsOnTheHeap() {
      Tensor[] tensors = {
          Tensor.of(new float[0], 0), Tensor.of(new double[] {1}), Tensor.of(new int[] {1}),
          Tensor.of(new long[] {1}), Tensor.of(new boolean[] {true}),
          Tensor.ofBytes(DType.BOOL, new byte[] {1}), Tensor.ofShorts(DType.BFLOAT16, new short[] {1}),
          Tensor.ofHalf(DType.BFLOAT16, new float[] {1})};
      for (Tensor t : tensors) {
        assertThat(t.buffer().isDirect()).as("%s", t).isFalse();
        assertThat(t.buffer().order()).as("%s", t).isEqualTo(NATIVE);
      }
    }
  }

  // ------------------------------------------------------------------ fromBuffer sharing

  @Nested
  @DisplayName("fromBuffer")
  class FromBuffer {

    @Test
    @DisplayName("does not copy: by contract the caller must not change the bytes, and a later change shows through")
    void sharesMemoryWithADirectBuffer() {
      ByteBuffer src = ByteBuffer.allocateDirect(8).order(NATIVE);
      src.putFloat(0, 1f).putFloat(4, 2f);
      Tensor t = Tensor.fromBuffer(DType.FLOAT32, src, 2);

      assertThat(t.buffer().isDirect()).as("a backend can use the memory in place").isTrue();
      src.putFloat(0, 42f); // breaking the caller's promise, to observe that nothing was copied

      assertThat(t.toFloatArray()).containsExactly(42f, 2f);
      assertThat(t.buffer().getFloat(0)).isEqualTo(42f);
    }

    @Test
    @DisplayName("does not copy a heap buffer either")
    void sharesMemoryWithAHeapBuffer() {
      byte[] backing = {0, 1, 0, 1};
      Tensor t = Tensor.fromBuffer(DType.BOOL, ByteBuffer.wrap(backing), 4);
      backing[0] = 1;
      assertThat(t.toBooleanArray()).containsExactly(true, true, false, true);
    }

    @Test
    @DisplayName("uses exactly the bytes between position and limit, and leaves the caller's buffer as it was")
    void respectsPositionAndLimit() {
      ByteBuffer src = ByteBuffer.allocate(20).order(NATIVE);
      for (int i = 0; i < 5; i++) {
        src.putFloat(i * 4, i + 0.5f);
      }
      src.position(4).limit(12);

      Tensor t = Tensor.fromBuffer(DType.FLOAT32, src, 2);

      assertThat(t.toFloatArray()).containsExactly(1.5f, 2.5f);
      assertThat(t.byteSize()).isEqualTo(8);
      assertThat(t.buffer().position()).isZero();
      assertThat(t.buffer().limit()).isEqualTo(8);
      assertThat(src.position()).isEqualTo(4);
      assertThat(src.limit()).isEqualTo(12);
    }

    @Test
    @DisplayName("accepts a read-only buffer")
    void acceptsReadOnly() {
      ByteBuffer src = ByteBuffer.allocate(4).order(NATIVE).putInt(0, 77).asReadOnlyBuffer()
          .order(NATIVE); // a view starts big-endian again
      assertThat(Tensor.fromBuffer(DType.INT32, src, 1).toIntArray()).containsExactly(77);
    }
  }

  // ------------------------------------------------------------------ equality and text

  @Nested
  @DisplayName("equals, hashCode and toString")
  class EqualityAndText {

    @Test
    @DisplayName("equal dtype, shape and bits are equal with equal hash codes, however made")
    void equalContentIsEqual() {
      Tensor a = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
      Tensor b = Tensor.of(new float[] {1, 2, 3, 4}, 2, 2);
      ByteBuffer heap = ByteBuffer.allocate(16).order(NATIVE);
      heap.asFloatBuffer().put(new float[] {1, 2, 3, 4});
      Tensor c = Tensor.fromBuffer(DType.FLOAT32, heap, 2, 2);

      assertThat(a).isEqualTo(a).isEqualTo(b).isEqualTo(c);
      assertThat(c).isEqualTo(a);
      assertThat(a.hashCode()).isEqualTo(b.hashCode()).isEqualTo(c.hashCode());
      assertThat(a).isNotEqualTo(null).isNotEqualTo("Tensor[float32 2x2]");
    }

    @Test
    @DisplayName("NaNs with the same bits are equal; NaNs with different payloads are not")
    void nanIsComparedByBits() {
      Tensor a = Tensor.of(new float[] {Float.NaN}, 1);
      Tensor b = Tensor.of(new float[] {Float.NaN}, 1);
      assertThat(a).isEqualTo(b);
      assertThat(a.hashCode()).isEqualTo(b.hashCode());
      assertThat(Tensor.of(new double[] {Double.NaN})).isEqualTo(Tensor.of(new double[] {Double.NaN}));

      assertThat(a).isNotEqualTo(Tensor.of(new float[] {Float.intBitsToFloat(0x7fc00001)}, 1));
    }

    @Test
    @DisplayName("0.0 and -0.0 differ")
    void signedZerosDiffer() {
      assertThat(Tensor.of(new float[] {0f}, 1)).isNotEqualTo(Tensor.of(new float[] {-0f}, 1));
      assertThat(Tensor.of(new double[] {0.0})).isNotEqualTo(Tensor.of(new double[] {-0.0}));
      assertThat(Tensor.ofHalf(DType.FLOAT16, new float[] {0f})).isNotEqualTo(Tensor.ofHalf(DType.FLOAT16, new float[] {-0f}));
    }

    @Test
    @DisplayName("different values, shapes or dtypes with the same bytes are not equal")
    void differencesMatter() {
      Tensor t = Tensor.of(new int[] {1, 2, 3, 4, 5, 6}, 2, 3);
      assertThat(t).isNotEqualTo(Tensor.of(new int[] {1, 2, 3, 4, 5, 7}, 2, 3));
      assertThat(t).isNotEqualTo(Tensor.of(new int[] {1, 2, 3, 4, 5, 6}, 3, 2));
      assertThat(t).isNotEqualTo(Tensor.of(new int[] {1, 2, 3, 4, 5, 6}, 6));
      assertThat(t).isNotEqualTo(Tensor.of(new int[] {1, 2, 3, 4, 5, 6}, 1, 2, 3));
      assertThat(t).isNotEqualTo(Tensor.fromBuffer(DType.FLOAT32, t.buffer(), 2, 3));

      short[] bits = {0x3C00};
      assertThat(Tensor.ofShorts(DType.FLOAT16, bits, 1))
          .isNotEqualTo(Tensor.ofShorts(DType.INT16, bits, 1))
          .isNotEqualTo(Tensor.ofShorts(DType.BFLOAT16, bits, 1));
      byte[] one = {1};
      assertThat(Tensor.ofBytes(DType.INT8, one, 1))
          .isNotEqualTo(Tensor.ofBytes(DType.UINT8, one, 1))
          .isNotEqualTo(Tensor.ofBytes(DType.BOOL, one, 1));
      assertThat(Tensor.of(new float[] {1}, 1)).isNotEqualTo(Tensor.of(new float[] {1}));
    }

    @Test
    @DisplayName("string tensors compare their strings")
    void stringEquality() {
      Tensor a = Tensor.of(new String[] {"x", "y"}, 2);
      assertThat(a).isEqualTo(Tensor.of(new String[] {"x", "y"}, 2));
      assertThat(a.hashCode()).isEqualTo(Tensor.of(new String[] {"x", "y"}, 2).hashCode());
      assertThat(a).isNotEqualTo(Tensor.of(new String[] {"y", "x"}, 2));
      assertThat(a).isNotEqualTo(Tensor.of(new String[] {"x", "y"}, 1, 2));
    }

    @Test
    @DisplayName("toString gives dtype and shape, never the elements")
    void toStringShowsDtypeAndShape() {
      assertThat(Tensor.of(new float[] {123456f, 2, 3, 4, 5, 6}, 2, 3)).hasToString("Tensor[float32 2x3]");
      assertThat(Tensor.of(new long[] {987654321L})).hasToString("Tensor[int64 scalar]");
      assertThat(Tensor.of(new String[] {"secret"}, 1)).hasToString("Tensor[string 1]");
      assertThat(Tensor.of(new boolean[0], 0, 2)).hasToString("Tensor[bool 0x2]");
      assertThat(Tensor.ofHalf(DType.BFLOAT16, new float[] {1}, 1, 1, 1)).hasToString("Tensor[bfloat16 1x1x1]");
    }

    @Test
    @DisplayName("describeShape writes ? for a dynamic dimension and scalar for rank 0")
    void describeShape() {
      assertThat(Tensor.describeShape(new long[] {-1, 128})).isEqualTo("?x128");
      assertThat(Tensor.describeShape(new long[] {Long.MIN_VALUE})).isEqualTo("?");
      assertThat(Tensor.describeShape(new long[0])).isEqualTo("scalar");
      assertThat(Tensor.describeShape(new long[] {0})).isEqualTo("0");
      assertThat(Tensor.describeShape(new long[] {4, 0, 3})).isEqualTo("4x0x3");
    }
  }

  @Nested
  @DisplayName("copyTo and isDirect (what a backend reads without views)")
  class CopyTo {

    @Test
    @DisplayName("copyTo writes the bytes at the target's position and moves it; small and large arrays alike")
    void copiesAtPosition() {
      for (int n : new int[] {3, 64, 65, 1000}) {
        float[] x = new float[n];
        for (int i = 0; i < n; i++) {
          x[i] = i * 1.5f - 7;
        }
        Tensor t = Tensor.of(x, n);
        ByteBuffer target = ByteBuffer.allocateDirect(8 + 4 * n).order(ByteOrder.nativeOrder());
        target.position(8);
        t.copyTo(target);
        assertThat(target.position()).isEqualTo(8 + 4 * n);
        float[] back = new float[n];
        for (int i = 0; i < n; i++) {
          back[i] = target.getFloat(8 + 4 * i);
        }
        assertThat(back).as("%d elements", n).containsExactly(x);
        assertThat(t.toFloatArray()).containsExactly(x);
      }
      long[] ids = {1, -2, Long.MAX_VALUE, 0};
      assertThat(Tensor.of(ids, 4).toLongArray()).containsExactly(ids);
    }

    @Test
    @DisplayName("copyTo refuses a target too small, a read-only one and a string tensor, changing nothing")
    void refusesBadTargets() {
      Tensor t = Tensor.of(new float[] {1, 2, 3}, 3);
      ByteBuffer small = ByteBuffer.allocate(11);
      assertThatThrownBy(() -> t.copyTo(small)).isInstanceOf(java.nio.BufferOverflowException.class);
      assertThat(small.position()).isZero();
      assertThatThrownBy(() -> t.copyTo(ByteBuffer.allocate(12).asReadOnlyBuffer()))
          .isInstanceOf(ReadOnlyBufferException.class);
      assertThatThrownBy(() -> Tensor.of(new String[] {"a"}, 1).copyTo(ByteBuffer.allocate(8)))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("string");
    }

    @Test
    @DisplayName("isDirect: true only over a direct buffer")
    void isDirect() {
      assertThat(Tensor.of(new float[] {1}, 1).isDirect()).isFalse();
      assertThat(Tensor.of(new String[] {"a"}, 1).isDirect()).isFalse();
      ByteBuffer d = ByteBuffer.allocateDirect(4).order(ByteOrder.nativeOrder());
      assertThat(Tensor.fromBuffer(DType.FLOAT32, d, 1).isDirect()).isTrue();
    }

    @Test
    @DisplayName("a tensor made from an array hands out only read-only views of its memory")
    void arrayTensorsStayImmutable() {
      Tensor t = Tensor.of(new float[] {1, 2}, 2);
      assertThat(t.buffer().isReadOnly()).isTrue();
      assertThat(t.typedBuffer().isReadOnly()).isTrue();
      assertThatThrownBy(() -> t.buffer().putFloat(0, 9)).isInstanceOf(ReadOnlyBufferException.class);
      assertThat(t.toFloatArray()).containsExactly(1, 2);
    }
  }
}
