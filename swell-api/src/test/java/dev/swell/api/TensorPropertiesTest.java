package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Label;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.IntRange;

/**
 * Tensors of every dtype and of random valid shapes read back exactly what they were made from;
 * invalid shapes are always rejected with {@link IllegalArgumentException}.
 */
class TensorPropertiesTest {

  /** One generated tensor: its dtype, shape and data (a primitive or String array). */
  record Case(DType dtype, long[] shape, Object data) {
    @Override
    public String toString() {
      return dtype + " " + Arrays.toString(shape) + " " + describe(data);
    }
  }

  /** An invalid request: a factory call that must fail. */
  record Invalid(DType dtype, long[] shape, int dataLength, String why) {
    @Override
    public String toString() {
      return why + ": " + dtype + " " + Arrays.toString(shape) + " with " + dataLength + " elements";
    }
  }

  static String describe(Object array) {
    if (array instanceof float[]) {
      return Arrays.toString((float[]) array);
    } else if (array instanceof double[]) {
      return Arrays.toString((double[]) array);
    } else if (array instanceof int[]) {
      return Arrays.toString((int[]) array);
    } else if (array instanceof long[]) {
      return Arrays.toString((long[]) array);
    } else if (array instanceof short[]) {
      return Arrays.toString((short[]) array);
    } else if (array instanceof byte[]) {
      return Arrays.toString((byte[]) array);
    } else if (array instanceof boolean[]) {
      return Arrays.toString((boolean[]) array);
    }
    return Arrays.toString((String[]) array);
  }

  static long product(long[] shape) {
    long p = 1;
    for (long d : shape) {
      p *= d;
    }
    return p;
  }

  // ------------------------------------------------------------------ generators

  @Provide
  Arbitrary<long[]> validShapes() {
    return Arbitraries.longs().between(0, 6).array(long[].class).ofMinSize(0).ofMaxSize(4);
  }

  /** Data of {@code n} elements for a dtype, covering every bit pattern of the element type. */
  static Arbitrary<?> data(DType dtype, int n) {
    switch (dtype) {
      case FLOAT32:
        return Arbitraries.integers().map(Float::intBitsToFloat).array(float[].class).ofSize(n);
      case FLOAT64:
        return Arbitraries.longs().map(Double::longBitsToDouble).array(double[].class).ofSize(n);
      case FLOAT16:
      case BFLOAT16:
      case INT16:
        return Arbitraries.shorts().array(short[].class).ofSize(n);
      case INT8:
      case UINT8:
        return Arbitraries.bytes().array(byte[].class).ofSize(n);
      case INT32:
        return Arbitraries.integers().array(int[].class).ofSize(n);
      case INT64:
        return Arbitraries.longs().array(long[].class).ofSize(n);
      case BOOL:
        return Arbitraries.of(true, false).array(boolean[].class).ofSize(n);
      case STRING:
        return Arbitraries.strings().ofMaxLength(6).array(String[].class).ofSize(n);
      default:
        throw new AssertionError(dtype);
    }
  }

  @Provide
  Arbitrary<Case> cases() {
    return Combinators.combine(Arbitraries.of(DType.class), validShapes())
        .flatAs((dtype, shape) -> data(dtype, (int) product(shape)).map(d -> new Case(dtype, shape, d)));
  }

  @Provide
  Arbitrary<Case> fixedSizeCases() {
    return cases().filter(c -> c.dtype().isFixedSize());
  }

  // ------------------------------------------------------------------ creating and reading back

  static Tensor create(Case c) {
    Object d = c.data();
    switch (c.dtype()) {
      case FLOAT32:
        return Tensor.of((float[]) d, c.shape());
      case FLOAT64:
        return Tensor.of((double[]) d, c.shape());
      case INT32:
        return Tensor.of((int[]) d, c.shape());
      case INT64:
        return Tensor.of((long[]) d, c.shape());
      case BOOL:
        return Tensor.of((boolean[]) d, c.shape());
      case STRING:
        return Tensor.of((String[]) d, c.shape());
      case INT8:
      case UINT8:
        return Tensor.ofBytes(c.dtype(), (byte[]) d, c.shape());
      default:
        return Tensor.ofShorts(c.dtype(), (short[]) d, c.shape());
    }
  }

  static void assertHoldsData(Tensor t, Case c) {
    Object d = c.data();
    switch (c.dtype()) {
      case FLOAT32:
        assertThat(TensorTest.rawBits(t.toFloatArray())).containsExactly(TensorTest.rawBits((float[]) d));
        break;
      case FLOAT64:
        assertThat(TensorTest.rawBits(t.toDoubleArray())).containsExactly(TensorTest.rawBits((double[]) d));
        break;
      case INT32:
        assertThat(t.toIntArray()).containsExactly((int[]) d);
        break;
      case INT64:
        assertThat(t.toLongArray()).containsExactly((long[]) d);
        break;
      case BOOL:
        assertThat(t.toBooleanArray()).containsExactly((boolean[]) d);
        break;
      case STRING:
        assertThat(t.toStringArray()).containsExactly((String[]) d);
        break;
      case INT8:
      case UINT8:
        assertThat(t.toByteArray()).containsExactly((byte[]) d);
        break;
      default:
        assertThat(t.toShortArray()).containsExactly((short[]) d);
        if (c.dtype() != DType.INT16) {
          float[] decoded = t.toFloatArray();
          short[] bits = (short[]) d;
          for (int i = 0; i < bits.length; i++) {
            float expected = c.dtype() == DType.FLOAT16
                ? HalfFloats.halfToFloat(bits[i]) : HalfFloats.bfloat16ToFloat(bits[i]);
            assertThat(Float.floatToRawIntBits(decoded[i])).isEqualTo(Float.floatToRawIntBits(expected));
          }
        }
    }
  }

  @Property(tries = 1500)
  @Label("any dtype, valid shape and data: the tensor reads back the same data, shape and sizes")
  void createThenReadBack(@ForAll("cases") Case c) {
    Tensor t = create(c);
    long count = product(c.shape());

    assertThat(t.dtype()).isEqualTo(c.dtype());
    assertThat(t.shape()).containsExactly(c.shape());
    assertThat(t.rank()).isEqualTo(c.shape().length);
    for (int axis = 0; axis < t.rank(); axis++) {
      assertThat(t.dim(axis)).isEqualTo(c.shape()[axis]);
    }
    assertThat((long) t.size()).isEqualTo(count);
    assertThat(t.byteSize()).isEqualTo(c.dtype().isFixedSize() ? count * c.dtype().byteSize() : -1);
    assertThat(t.toString()).isEqualTo("Tensor[" + c.dtype() + " " + Tensor.describeShape(c.shape()) + "]");
    assertHoldsData(t, c);

    Tensor again = create(c);
    assertThat(again).isEqualTo(t);
    assertThat(again.hashCode()).isEqualTo(t.hashCode());
  }

  @Property(tries = 1000)
  @Label("fixed-size dtypes: the buffer is native, read-only, and fromBuffer of it (at any offset) gives an equal tensor")
  void bufferRoundTrip(@ForAll("fixedSizeCases") Case c, @ForAll @IntRange(min = 0, max = 9) int offset,
      @ForAll @IntRange(min = 0, max = 9) int trailing) {
    Tensor t = create(c);
    ByteBuffer b = t.buffer();
    assertThat(b.isReadOnly()).isTrue();
    assertThat(b.order()).isEqualTo(ByteOrder.nativeOrder());
    assertThat((long) b.remaining()).isEqualTo(t.byteSize());

    int bytes = b.remaining();
    ByteBuffer src = ByteBuffer.allocate(offset + bytes + trailing).order(ByteOrder.nativeOrder());
    for (int i = 0; i < src.capacity(); i++) {
      src.put(i, (byte) 0x5A); // garbage outside the window, not a valid bool either
    }
    src.position(offset);
    src.put(b.duplicate());
    src.position(offset).limit(offset + bytes);

    Tensor copy = Tensor.fromBuffer(c.dtype(), src, c.shape());
    assertThat(copy).isEqualTo(t);
    assertThat(copy.hashCode()).isEqualTo(t.hashCode());
    assertHoldsData(copy, c);
  }

  @Property(tries = 500)
  @Label("ofHalf of values that are exactly representable keeps their bits")
  void ofHalfOfRepresentableValues(@ForAll("validShapes") long[] shape, @ForAll boolean bfloat) {
    int n = (int) product(shape);
    DType dtype = bfloat ? DType.BFLOAT16 : DType.FLOAT16;
    short[] bits = new short[n];
    float[] values = new float[n];
    java.util.Random random = new java.util.Random(Arrays.hashCode(shape) * 31L + n);
    for (int i = 0; i < n; i++) {
      short s;
      do {
        s = (short) random.nextInt(1 << 16);
      } while (bfloat ? HalfFloatsTest.isBf16NaN(s & 0xffff) : HalfFloatsTest.isHalfNaN(s & 0xffff));
      bits[i] = s;
      values[i] = bfloat ? HalfFloats.bfloat16ToFloat(s) : HalfFloats.halfToFloat(s);
    }
    Tensor t = Tensor.ofHalf(dtype, values, shape);
    assertThat(t.toShortArray()).containsExactly(bits);
    assertThat(TensorTest.rawBits(t.toFloatArray())).containsExactly(TensorTest.rawBits(values));
    assertThat(t).isEqualTo(Tensor.ofShorts(dtype, bits, shape));
  }

  // ------------------------------------------------------------------ invalid shapes

  @Provide
  Arbitrary<Invalid> invalidRequests() {
    Arbitrary<DType> dtypes = Arbitraries.of(DType.class);
    Arbitrary<Integer> smallLength = Arbitraries.integers().between(0, 12);

    Arbitrary<Invalid> negative = Combinators.combine(dtypes, validShapes().filter(s -> s.length > 0),
            Arbitraries.longs().between(Long.MIN_VALUE, -1), Arbitraries.integers().between(0, 3), smallLength)
        .as((dtype, shape, neg, at, len) -> {
          long[] s = shape.clone();
          s[at % s.length] = neg;
          return new Invalid(dtype, s, len, "negative dimension");
        });

    Arbitrary<Long> positiveDims = Arbitraries.oneOf(
        Arbitraries.longs().between(1, 6),
        Arbitraries.longs().between(1 << 15, 1L << 33),
        Arbitraries.longs().between(1, Long.MAX_VALUE));
    Arbitrary<Invalid> overflow = Combinators.combine(dtypes,
            positiveDims.array(long[].class).ofMinSize(1).ofMaxSize(4)
                .filter(s -> bigProduct(s).compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) > 0),
            smallLength)
        .as((dtype, shape, len) -> new Invalid(dtype, shape, len, "more than 2^31-1 elements"));

    Arbitrary<Invalid> tooManyBytes = Combinators.combine(
            Arbitraries.of(DType.FLOAT32, DType.FLOAT64, DType.INT64, DType.INT32, DType.INT16, DType.FLOAT16,
                DType.BFLOAT16),
            Arbitraries.longs().between(0, Integer.MAX_VALUE), Arbitraries.of(true, false), smallLength)
        .as((dtype, r, split, len) -> {
          long min = Integer.MAX_VALUE / dtype.byteSize() + 1;
          long count = min + r % (Integer.MAX_VALUE - min + 1);
          long[] shape = split && count % 2 == 0 ? new long[] {2, count / 2} : new long[] {count};
          return new Invalid(dtype, shape, len, "over 2 GiB");
        });

    Arbitrary<Invalid> mismatch = Combinators.combine(dtypes, validShapes(), Arbitraries.integers().between(0, 1400))
        .as((dtype, shape, len) -> new Invalid(dtype, shape, len, "data length mismatch"))
        .filter(inv -> inv.dataLength() != product(inv.shape()));

    return Arbitraries.oneOf(negative, overflow, tooManyBytes, mismatch);
  }

  static BigInteger bigProduct(long[] shape) {
    BigInteger p = BigInteger.ONE;
    for (long d : shape) {
      p = p.multiply(BigInteger.valueOf(d));
    }
    return p;
  }

  static Tensor createWithLength(DType dtype, int n, long[] shape) {
    switch (dtype) {
      case FLOAT32:
        return Tensor.of(new float[n], shape);
      case FLOAT64:
        return Tensor.of(new double[n], shape);
      case INT32:
        return Tensor.of(new int[n], shape);
      case INT64:
        return Tensor.of(new long[n], shape);
      case BOOL:
        return Tensor.of(new boolean[n], shape);
      case STRING:
        String[] s = new String[n];
        Arrays.fill(s, "");
        return Tensor.of(s, shape);
      case INT8:
      case UINT8:
        return Tensor.ofBytes(dtype, new byte[n], shape);
      default:
        return Tensor.ofShorts(dtype, new short[n], shape);
    }
  }

  @Property(tries = 1500)
  @Label("an invalid shape always gives IllegalArgumentException naming the shape, from every factory")
  void invalidShapesAreRejected(@ForAll("invalidRequests") Invalid inv) {
    String shapeText = Arrays.toString(inv.shape());
    assertThatThrownBy(() -> createWithLength(inv.dtype(), inv.dataLength(), inv.shape()))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(shapeText);
    if (inv.dtype().isFixedSize()) {
      ByteBuffer buffer = ByteBuffer.allocate(inv.dataLength() * inv.dtype().byteSize()).order(ByteOrder.nativeOrder());
      assertThatThrownBy(() -> Tensor.fromBuffer(inv.dtype(), buffer, inv.shape()))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(shapeText);
    }
    if (inv.dtype() == DType.FLOAT16 || inv.dtype() == DType.BFLOAT16) {
      assertThatThrownBy(() -> Tensor.ofHalf(inv.dtype(), new float[inv.dataLength()], inv.shape()))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining(shapeText);
    }
  }

  @Provide
  Arbitrary<long[]> anyShapes() {
    Arbitrary<Long> dims = Arbitraries.frequencyOf(
        net.jqwik.api.Tuple.of(4, Arbitraries.longs().between(0, 6)),
        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(1 << 15, 1L << 33)),
        net.jqwik.api.Tuple.of(2, Arbitraries.longs().between(0, Long.MAX_VALUE)),
        net.jqwik.api.Tuple.of(1, Arbitraries.longs().between(Long.MIN_VALUE, -1)));
    return dims.array(long[].class).ofMinSize(0).ofMaxSize(4);
  }

  @Property(tries = 2000)
  @Label("elementCount is the exact product when no dimension is negative and it fits in an int, else IllegalArgumentException")
  void elementCountMatchesItsDocumentation(@ForAll("anyShapes") long[] shape) {
    boolean negative = Arrays.stream(shape).anyMatch(d -> d < 0);
    BigInteger p = bigProduct(shape);
    if (!negative && p.compareTo(BigInteger.valueOf(Integer.MAX_VALUE)) <= 0) {
      assertThat(Tensor.elementCount(shape)).isEqualTo(p.intValueExact());
    } else {
      assertThatThrownBy(() -> Tensor.elementCount(shape)).isExactlyInstanceOf(IllegalArgumentException.class);
    }
  }
}
