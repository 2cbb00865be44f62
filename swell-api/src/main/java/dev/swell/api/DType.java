package dev.swell.api;

/**
 * The element type of a {@link Tensor}.
 *
 * <p>The set is exactly the tensor element types that ONNX Runtime's Java API can create: unsigned
 * 16, 32 and 64-bit integers, complex numbers and 8-bit floats are absent on purpose. Numeric types
 * are stored little- or big-endian as the platform is ({@link java.nio.ByteOrder#nativeOrder()}),
 * so a backend can hand the buffer to native code without copying.
 *
 * <p>{@link #FLOAT16} and {@link #BFLOAT16} are carried as raw 16-bit patterns in a {@code short};
 * {@link #BOOL} is one byte per element, 0 or 1; {@link #STRING} holds Java strings and has no
 * fixed element size.
 */
public enum DType {
  /** IEEE 754 single precision, 4 bytes. */
  FLOAT32(4, "float32"),
  /** IEEE 754 double precision, 8 bytes. */
  FLOAT64(8, "float64"),
  /** IEEE 754 half precision, 2 bytes, carried as raw bits in a {@code short}. */
  FLOAT16(2, "float16"),
  /** bfloat16 (the upper half of a float32), 2 bytes, carried as raw bits in a {@code short}. */
  BFLOAT16(2, "bfloat16"),
  /** Signed 8-bit integer. */
  INT8(1, "int8"),
  /** Unsigned 8-bit integer, carried in a {@code byte} (read it with {@code Byte.toUnsignedInt}). */
  UINT8(1, "uint8"),
  /** Signed 16-bit integer. */
  INT16(2, "int16"),
  /** Signed 32-bit integer. */
  INT32(4, "int32"),
  /** Signed 64-bit integer. */
  INT64(8, "int64"),
  /** Boolean, one byte per element holding 0 or 1. */
  BOOL(1, "bool"),
  /** UTF-8 text, one Java string per element; no fixed size. */
  STRING(-1, "string");

  private final int byteSize;
  private final String displayName;

  DType(int byteSize, String displayName) {
    this.byteSize = byteSize;
    this.displayName = displayName;
  }

  /**
   * Returns the size of one element in bytes.
   *
   * @return the element size in bytes, or {@code -1} for {@link #STRING}
   */
  public int byteSize() {
    return byteSize;
  }

  /**
   * Returns whether elements have a fixed size and live in a byte buffer (every type but
   * {@link #STRING}).
   *
   * @return {@code true} for every numeric and boolean type
   */
  public boolean isFixedSize() {
    return byteSize > 0;
  }

  /**
   * Returns the lower-case name used in messages and manifests, such as {@code float32}.
   *
   * @return the display name
   */
  public String displayName() {
    return displayName;
  }

  /**
   * Finds a type by its {@linkplain #displayName() display name} or enum name, ignoring case.
   *
   * @param name a name such as {@code float32} or {@code FLOAT32}
   * @return the matching type
   * @throws IllegalArgumentException if no type has that name
   */
  public static DType fromName(String name) {
    for (DType type : values()) {
      if (type.displayName.equalsIgnoreCase(name) || type.name().equalsIgnoreCase(name)) {
        return type;
      }
    }
    throw new IllegalArgumentException(
        "unknown dtype '" + name + "'; expected one of float32, float64, float16, bfloat16, "
            + "int8, uint8, int16, int32, int64, bool, string");
  }

  @Override
  public String toString() {
    return displayName;
  }
}
