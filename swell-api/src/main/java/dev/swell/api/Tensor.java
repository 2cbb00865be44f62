package dev.swell.api;

import java.nio.Buffer;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.util.Arrays;
import java.util.Objects;

/**
 * An immutable, typed, n-dimensional array: a {@link DType}, a shape and the elements in row-major
 * order.
 *
 * <p>Fixed-size types live in a {@link ByteBuffer} in {@linkplain ByteOrder#nativeOrder() native
 * order}. The array factories ({@link #of(float[], long...)} and friends) copy the array once into
 * a heap buffer (cheap to allocate and collect; ONNX Runtime's backend copies it into a pooled
 * direct buffer for the call, about the cost of reading it). The buffer factories
 * ({@link #fromBuffer(DType, ByteBuffer, long...)}) take the caller's buffer as it is, without
 * copying: the caller promises not to change it afterwards, and a direct buffer is used by a
 * backend in place, with no copy at all (the zero-copy path for inputs kept across calls). {@link DType#STRING} tensors
 * hold a private copy of a {@code String[]}.
 *
 * <p>Shapes are validated on creation: no negative dimension, an element count that fits in an
 * {@code int} (and, for fixed-size types, a byte size that fits in an {@code int}), and a data
 * length equal to the element count. A shape of rank 0 is a scalar with one element.
 *
 * <p>Instances are immutable and safe to share between threads; accessors return copies or
 * read-only views.
 *
 * <pre>{@code
 * Tensor x = Tensor.of(new float[] {1, 2, 3, 4, 5, 6}, 2, 3);
 * float[] back = x.toFloatArray();   // {1, 2, 3, 4, 5, 6}
 * long rows = x.shape()[0];          // 2
 * }</pre>
 */
public final class Tensor {

  /** Arrays up to this many elements are copied element by element: a typed view would cost more than the copy. */
  private static final int SMALL = 64;

  private final DType dtype;
  private final long[] shape;
  private final int size;
  // native order, position 0, limit the byte size; null for STRING. Never handed out as it is
  // (only read-only views): a tensor made from an array keeps its own writable heap buffer
  // without a read-only wrapper, which would cost an object a tensor
  private final ByteBuffer data;
  private final String[] strings; // null unless STRING

  private Tensor(DType dtype, long[] shape, int size, ByteBuffer data, String[] strings) {
    this.dtype = dtype;
    this.shape = shape;
    this.size = size;
    this.data = data;
    this.strings = strings;
  }

  // ---------------------------------------------------------------- factories from arrays

  /**
   * Creates a {@link DType#FLOAT32} tensor, copying {@code data}.
   *
   * @param data the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if the shape is invalid or does not match the data length
   */
  public static Tensor of(float[] data, long... shape) {
    ByteBuffer b = allocate(DType.FLOAT32, data.length, shape);
    if (data.length <= SMALL) {
      for (int i = 0; i < data.length; i++) {
        b.putFloat(i << 2, data[i]);
      }
    } else {
      b.asFloatBuffer().put(data);
    }
    return seal(DType.FLOAT32, shape, data.length, b);
  }

  /**
   * Creates a {@link DType#FLOAT64} tensor, copying {@code data}.
   *
   * @param data the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if the shape is invalid or does not match the data length
   */
  public static Tensor of(double[] data, long... shape) {
    ByteBuffer b = allocate(DType.FLOAT64, data.length, shape);
    b.asDoubleBuffer().put(data);
    return seal(DType.FLOAT64, shape, data.length, b);
  }

  /**
   * Creates a {@link DType#INT32} tensor, copying {@code data}.
   *
   * @param data the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if the shape is invalid or does not match the data length
   */
  public static Tensor of(int[] data, long... shape) {
    ByteBuffer b = allocate(DType.INT32, data.length, shape);
    b.asIntBuffer().put(data);
    return seal(DType.INT32, shape, data.length, b);
  }

  /**
   * Creates a {@link DType#INT64} tensor, copying {@code data}.
   *
   * @param data the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if the shape is invalid or does not match the data length
   */
  public static Tensor of(long[] data, long... shape) {
    ByteBuffer b = allocate(DType.INT64, data.length, shape);
    if (data.length <= SMALL) {
      for (int i = 0; i < data.length; i++) {
        b.putLong(i << 3, data[i]);
      }
    } else {
      b.asLongBuffer().put(data);
    }
    return seal(DType.INT64, shape, data.length, b);
  }

  /**
   * Creates a {@link DType#BOOL} tensor, copying {@code data}.
   *
   * @param data the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if the shape is invalid or does not match the data length
   */
  public static Tensor of(boolean[] data, long... shape) {
    ByteBuffer b = allocate(DType.BOOL, data.length, shape);
    for (boolean v : data) {
      b.put(v ? (byte) 1 : (byte) 0);
    }
    b.clear();
    return seal(DType.BOOL, shape, data.length, b);
  }

  /**
   * Creates a {@link DType#STRING} tensor, copying {@code data}.
   *
   * @param data the elements in row-major order; none may be null
   * @param shape the dimensions
   * @return the tensor
   * @throws NullPointerException if an element is null
   * @throws IllegalArgumentException if the shape is invalid or does not match the data length
   */
  public static Tensor of(String[] data, long... shape) {
    long[] dims = checkShape(DType.STRING, shape, data.length);
    String[] copy = data.clone();
    for (int i = 0; i < copy.length; i++) {
      Objects.requireNonNull(copy[i], () -> "string tensor element is null");
    }
    return new Tensor(DType.STRING, dims, copy.length, null, copy);
  }

  /**
   * Creates a tensor of a byte-sized type ({@link DType#INT8}, {@link DType#UINT8} or
   * {@link DType#BOOL}), copying {@code data}. Booleans must be 0 or 1.
   *
   * @param dtype INT8, UINT8 or BOOL
   * @param data the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if {@code dtype} is not byte-sized, a boolean is not 0 or 1,
   *     or the shape is invalid
   */
  public static Tensor ofBytes(DType dtype, byte[] data, long... shape) {
    if (dtype.byteSize() != 1) {
      throw new IllegalArgumentException("ofBytes takes int8, uint8 or bool, not " + dtype);
    }
    if (dtype == DType.BOOL) {
      checkBooleans(ByteBuffer.wrap(data));
    }
    ByteBuffer b = allocate(dtype, data.length, shape);
    b.put(data).clear();
    return seal(dtype, shape, data.length, b);
  }

  /**
   * Creates a tensor of a 16-bit type ({@link DType#INT16}, or raw bit patterns of
   * {@link DType#FLOAT16} or {@link DType#BFLOAT16}), copying {@code data}.
   *
   * @param dtype INT16, FLOAT16 or BFLOAT16
   * @param data the elements (or their bit patterns) in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if {@code dtype} is not 16 bits wide or the shape is invalid
   */
  public static Tensor ofShorts(DType dtype, short[] data, long... shape) {
    if (dtype.byteSize() != 2) {
      throw new IllegalArgumentException("ofShorts takes int16, float16 or bfloat16, not " + dtype);
    }
    ByteBuffer b = allocate(dtype, data.length, shape);
    b.asShortBuffer().put(data);
    return seal(dtype, shape, data.length, b);
  }

  /**
   * Creates a {@link DType#FLOAT16} or {@link DType#BFLOAT16} tensor from floats, rounding each to
   * the nearest representable value (ties to even).
   *
   * @param dtype FLOAT16 or BFLOAT16
   * @param data the elements in row-major order
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if {@code dtype} is not a 16-bit float type or the shape is
   *     invalid
   */
  public static Tensor ofHalf(DType dtype, float[] data, long... shape) {
    short[] bits = new short[data.length];
    if (dtype == DType.FLOAT16) {
      for (int i = 0; i < data.length; i++) {
        bits[i] = HalfFloats.floatToHalf(data[i]);
      }
    } else if (dtype == DType.BFLOAT16) {
      for (int i = 0; i < data.length; i++) {
        bits[i] = HalfFloats.floatToBfloat16(data[i]);
      }
    } else {
      throw new IllegalArgumentException("ofHalf takes float16 or bfloat16, not " + dtype);
    }
    return ofShorts(dtype, bits, shape);
  }

  /**
   * Wraps a buffer of elements without copying it. The buffer's remaining bytes, from its position
   * to its limit, are the elements in row-major order, in native byte order: for elements wider
   * than one byte the buffer must say so ({@code buffer.order(ByteOrder.nativeOrder())}, set before
   * the elements are written), since {@code ByteBuffer.allocate} starts big-endian and every
   * common CPU is little-endian. The caller must not change those bytes afterwards. A direct
   * buffer lets a backend use the memory in place.
   *
   * @param dtype the element type; not {@link DType#STRING}
   * @param data the elements, {@code elementCount × dtype.byteSize()} bytes remaining
   * @param shape the dimensions
   * @return the tensor
   * @throws IllegalArgumentException if {@code dtype} is STRING, the buffer's order is not the
   *     native one for a multi-byte dtype, the byte count does not match the shape, or a boolean
   *     is not 0 or 1
   */
  public static Tensor fromBuffer(DType dtype, ByteBuffer data, long... shape) {
    if (!dtype.isFixedSize()) {
      throw new IllegalArgumentException("fromBuffer takes a fixed-size dtype, not " + dtype);
    }
    if (dtype.byteSize() > 1 && data.order() != ByteOrder.nativeOrder()) {
      // read in native order, the elements of a big-endian buffer would be other numbers, silently
      throw new IllegalArgumentException("the buffer's byte order is " + data.order() + "; fromBuffer reads "
          + dtype + " elements in the native order (" + ByteOrder.nativeOrder() + "): call "
          + "buffer.order(ByteOrder.nativeOrder()) before writing them");
    }
    ByteBuffer view = data.position() == 0 ? data : data.slice(); // a slice only when it must
    int remaining = view.remaining();
    if (remaining % dtype.byteSize() != 0) {
      throw new IllegalArgumentException(
          "buffer of " + remaining + " bytes is not a whole number of " + dtype + " elements ("
              + dtype.byteSize() + " bytes each)");
    }
    int count = remaining / dtype.byteSize();
    long[] dims = checkShape(dtype, shape, count);
    if (dtype == DType.BOOL) {
      checkBooleans(view);
    }
    return new Tensor(dtype, dims, count, view.asReadOnlyBuffer().order(ByteOrder.nativeOrder()), null);
  }

  // ---------------------------------------------------------------- accessors

  /**
   * Returns the element type.
   *
   * @return the dtype
   */
  public DType dtype() {
    return dtype;
  }

  /**
   * Returns a copy of the dimensions.
   *
   * @return the shape, one entry per dimension (empty for a scalar)
   */
  public long[] shape() {
    return shape.clone();
  }

  /**
   * Returns the number of dimensions.
   *
   * @return the rank
   */
  public int rank() {
    return shape.length;
  }

  /**
   * Returns one dimension.
   *
   * @param axis the dimension's index, from 0
   * @return its size
   * @throws IndexOutOfBoundsException if {@code axis} is not below {@link #rank()}
   */
  public long dim(int axis) {
    return shape[axis];
  }

  /**
   * Returns the number of elements: the product of the dimensions.
   *
   * @return the element count
   */
  public int size() {
    return size;
  }

  /**
   * Returns the number of bytes the elements take, or {@code -1} for {@link DType#STRING}.
   *
   * @return the byte size
   */
  public long byteSize() {
    return dtype.isFixedSize() ? (long) size * dtype.byteSize() : -1;
  }

  /**
   * Returns a read-only view of the elements in native byte order, position 0, limit the byte
   * size. The view shares memory with the tensor (no copy).
   *
   * @return the buffer
   * @throws IllegalStateException for a {@link DType#STRING} tensor
   */
  public ByteBuffer buffer() {
    if (data == null) {
      throw new IllegalStateException("a string tensor has no byte buffer; use toStringArray()");
    }
    return data.asReadOnlyBuffer().order(ByteOrder.nativeOrder());
  }

  /**
   * Returns whether the elements live in a direct (native) buffer, which a backend can read in
   * place: true for a tensor made by {@link #fromBuffer(DType, ByteBuffer, long...)} over a direct
   * buffer, false for one made from an array and for {@link DType#STRING}.
   *
   * @return whether the tensor's memory is native
   */
  public boolean isDirect() {
    return data != null && data.isDirect();
  }

  /**
   * Copies the elements' bytes, in native order, into {@code target} at its position, and moves
   * the position on by {@link #byteSize()}. Unlike reading {@link #buffer()}, it makes no view: the
   * way a backend fills memory of its own.
   *
   * @param target where the bytes go; its byte order does not matter (bytes are copied as they are)
   * @throws IllegalStateException for a {@link DType#STRING} tensor
   * @throws java.nio.BufferOverflowException if {@code target} has fewer bytes remaining
   * @throws java.nio.ReadOnlyBufferException if {@code target} is read-only
   */
  public void copyTo(ByteBuffer target) {
    if (data == null) {
      throw new IllegalStateException("a string tensor has no bytes to copy; use toStringArray()");
    }
    int n = size * dtype.byteSize();
    int at = target.position();
    if (target.remaining() < n) {
      throw new java.nio.BufferOverflowException();
    }
    target.put(at, data, 0, n);
    target.position(at + n);
  }

  /**
   * Returns a typed read-only view of the elements (no copy): a {@link FloatBuffer} for FLOAT32, a
   * {@link DoubleBuffer} for FLOAT64, a {@link LongBuffer} for INT64, an {@link IntBuffer} for
   * INT32, a {@link ShortBuffer} for INT16, FLOAT16 and BFLOAT16, and a {@link ByteBuffer} for
   * INT8, UINT8 and BOOL.
   *
   * @return the typed buffer
   * @throws IllegalStateException for a {@link DType#STRING} tensor
   */
  public Buffer typedBuffer() {
    ByteBuffer b = buffer();
    switch (dtype) {
      case FLOAT32:
        return b.asFloatBuffer();
      case FLOAT64:
        return b.asDoubleBuffer();
      case INT64:
        return b.asLongBuffer();
      case INT32:
        return b.asIntBuffer();
      case INT16:
      case FLOAT16:
      case BFLOAT16:
        return b.asShortBuffer();
      default:
        return b;
    }
  }

  /**
   * Copies the elements of a {@link DType#FLOAT32} tensor, or converts those of a FLOAT16 or
   * BFLOAT16 tensor, into a new array.
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is none of those
   */
  public float[] toFloatArray() {
    float[] out = new float[size];
    if (dtype == DType.FLOAT32 && size <= SMALL) {
      for (int i = 0; i < size; i++) {
        out[i] = data.getFloat(i << 2);
      }
    } else if (dtype == DType.FLOAT32) {
      data.asFloatBuffer().get(out);
    } else if (dtype == DType.FLOAT16 || dtype == DType.BFLOAT16) {
      ShortBuffer s = data.asShortBuffer();
      for (int i = 0; i < size; i++) {
        out[i] = dtype == DType.FLOAT16
            ? HalfFloats.halfToFloat(s.get(i))
            : HalfFloats.bfloat16ToFloat(s.get(i));
      }
    } else {
      throw wrongType("toFloatArray", "float32, float16 or bfloat16");
    }
    return out;
  }

  /**
   * Converts the elements of any numeric or boolean tensor to doubles, whatever its dtype: one
   * way to read an output without a switch over the dtypes. Exact for every dtype but INT64 (and
   * UINT8, read as 0 to 255), whose values beyond 2^53 in magnitude are rounded; booleans are 0 and 1.
   *
   * @return the elements in row-major order
   * @throws IllegalStateException for a {@link DType#STRING} tensor
   */
  public double[] toDoubles() {
    if (data == null) {
      throw new IllegalStateException("a string tensor has no numbers; use toStringArray()");
    }
    double[] out = new double[size];
    switch (dtype) {
      case FLOAT32:
        for (int i = 0; i < size; i++) {
          out[i] = data.getFloat(i * 4);
        }
        break;
      case FLOAT64:
        data.asDoubleBuffer().get(out);
        break;
      case FLOAT16:
      case BFLOAT16: {
        float[] f = toFloatArray();
        for (int i = 0; i < size; i++) {
          out[i] = f[i];
        }
        break;
      }
      case INT64:
        for (int i = 0; i < size; i++) {
          out[i] = data.getLong(i * 8);
        }
        break;
      case INT32:
        for (int i = 0; i < size; i++) {
          out[i] = data.getInt(i * 4);
        }
        break;
      case INT16:
        for (int i = 0; i < size; i++) {
          out[i] = data.getShort(i * 2);
        }
        break;
      case UINT8:
        for (int i = 0; i < size; i++) {
          out[i] = data.get(i) & 0xff;
        }
        break;
      default: // INT8, BOOL
        for (int i = 0; i < size; i++) {
          out[i] = data.get(i);
        }
    }
    return out;
  }

  /**
   * Copies the elements of a {@link DType#FLOAT64} tensor into a new array.
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is not FLOAT64
   */
  public double[] toDoubleArray() {
    require(DType.FLOAT64, "toDoubleArray");
    double[] out = new double[size];
    data.asDoubleBuffer().get(out);
    return out;
  }

  /**
   * Copies the elements of a {@link DType#INT32} tensor into a new array.
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is not INT32
   */
  public int[] toIntArray() {
    require(DType.INT32, "toIntArray");
    int[] out = new int[size];
    data.asIntBuffer().get(out);
    return out;
  }

  /**
   * Copies the elements of a {@link DType#INT64} tensor into a new array.
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is not INT64
   */
  public long[] toLongArray() {
    require(DType.INT64, "toLongArray");
    long[] out = new long[size];
    data.asLongBuffer().get(out);
    return out;
  }

  /**
   * Copies the elements of a 16-bit tensor (INT16, or the raw bits of FLOAT16 and BFLOAT16).
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is not 16 bits wide
   */
  public short[] toShortArray() {
    if (dtype.byteSize() != 2) {
      throw wrongType("toShortArray", "int16, float16 or bfloat16");
    }
    short[] out = new short[size];
    data.asShortBuffer().get(out);
    return out;
  }

  /**
   * Copies the elements of a byte-sized tensor (INT8, UINT8, BOOL).
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is not one byte wide
   */
  public byte[] toByteArray() {
    if (dtype.byteSize() != 1) {
      throw wrongType("toByteArray", "int8, uint8 or bool");
    }
    byte[] out = new byte[size];
    data.get(0, out); // absolute: the shared buffer's position never moves
    return out;
  }

  /**
   * Copies the elements of a {@link DType#BOOL} tensor into a new array.
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is not BOOL
   */
  public boolean[] toBooleanArray() {
    require(DType.BOOL, "toBooleanArray");
    boolean[] out = new boolean[size];
    ByteBuffer b = buffer();
    for (int i = 0; i < size; i++) {
      out[i] = b.get(i) != 0;
    }
    return out;
  }

  /**
   * Copies the elements of a {@link DType#STRING} tensor into a new array.
   *
   * @return the elements in row-major order
   * @throws IllegalStateException if the dtype is not STRING
   */
  public String[] toStringArray() {
    require(DType.STRING, "toStringArray");
    return strings.clone();
  }

  /**
   * Returns whether another tensor has the same dtype, shape and elements, compared bit for bit
   * (so NaNs with equal bits are equal and {@code 0.0} differs from {@code -0.0}).
   *
   * @param o the other object
   * @return whether they are equal
   */
  @Override
  public boolean equals(Object o) {
    if (this == o) {
      return true;
    }
    if (!(o instanceof Tensor)) {
      return false;
    }
    Tensor t = (Tensor) o;
    if (dtype != t.dtype || !Arrays.equals(shape, t.shape)) {
      return false;
    }
    return dtype == DType.STRING ? Arrays.equals(strings, t.strings) : data.equals(t.data);
  }

  @Override
  public int hashCode() {
    int h = 31 * dtype.hashCode() + Arrays.hashCode(shape);
    return 31 * h + (dtype == DType.STRING ? Arrays.hashCode(strings) : data.hashCode());
  }

  /** Returns the dtype and shape, such as {@code Tensor[float32 2x3]}; not the elements. */
  @Override
  public String toString() {
    return "Tensor[" + dtype + " " + describeShape(shape) + "]";
  }

  /**
   * Formats a shape for messages: dimensions joined by {@code x}, {@code ?} for a dynamic
   * (negative) dimension and {@code scalar} for rank 0.
   *
   * @param shape the dimensions
   * @return the text, such as {@code ?x128}
   */
  public static String describeShape(long[] shape) {
    if (shape.length == 0) {
      return "scalar";
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append('x');
      }
      sb.append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
    }
    return sb.toString();
  }

  /**
   * Returns the element count of a shape, checking that no dimension is negative and that the
   * count fits in an {@code int}.
   *
   * @param shape the dimensions
   * @return their product
   * @throws IllegalArgumentException if a dimension is negative or the product overflows
   */
  public static int elementCount(long... shape) {
    boolean empty = false;
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] < 0) {
        throw new IllegalArgumentException(
            "dimension " + i + " of shape " + Arrays.toString(shape) + " is negative");
      }
      empty |= shape[i] == 0;
    }
    if (empty) {
      return 0; // whatever the other dimensions, in any order
    }
    long count = 1;
    for (long d : shape) {
      if (count > Integer.MAX_VALUE / d) {
        throw new IllegalArgumentException(
            "shape " + Arrays.toString(shape) + " has more than " + Integer.MAX_VALUE + " elements");
      }
      count *= d;
    }
    return (int) count;
  }

  // ---------------------------------------------------------------- internals

  private static ByteBuffer allocate(DType dtype, int length, long[] shape) {
    checkShape(dtype, shape, length);
    return ByteBuffer.allocate(length * dtype.byteSize()).order(ByteOrder.nativeOrder());
  }

  private static Tensor seal(DType dtype, long[] shape, int size, ByteBuffer b) {
    return new Tensor(dtype, shape.clone(), size, b, null); // b is this tensor's own: no read-only wrapper needed
  }

  private static long[] checkShape(DType dtype, long[] shape, int length) {
    Objects.requireNonNull(shape, "shape");
    int count = elementCount(shape);
    if (dtype.isFixedSize() && (long) count * dtype.byteSize() > Integer.MAX_VALUE) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " of " + dtype + " needs more than 2 GiB");
    }
    if (count != length) {
      throw new IllegalArgumentException(
          "shape " + Arrays.toString(shape) + " holds " + count + " elements but the data has "
              + length);
    }
    return shape.clone();
  }

  private static void checkBooleans(ByteBuffer b) {
    for (int i = b.position(); i < b.limit(); i++) {
      byte v = b.get(i);
      if (v != 0 && v != 1) {
        throw new IllegalArgumentException(
            "bool element " + (i - b.position()) + " is " + v + "; booleans must be 0 or 1");
      }
    }
  }

  private void require(DType expected, String method) {
    if (dtype != expected) {
      throw wrongType(method, expected.displayName());
    }
  }

  private IllegalStateException wrongType(String method, String expected) {
    return new IllegalStateException(
        method + "() needs a " + expected + " tensor, but this one is " + dtype);
  }
}
