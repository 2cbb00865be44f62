package dev.swell.api;

import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * What a model expects of one input, or promises of one output: a name, a {@link DType} and a
 * shape in which a negative dimension is dynamic (any size). A dynamic dimension may carry the
 * symbolic name the model declares ({@code batch}, {@code sequence}): inputs that share a name
 * must agree on its size, which Swell checks before any native call. A tensor declared without any
 * shape accepts every rank ({@link #hasShape()} false), unlike a scalar (rank 0).
 *
 * <pre>{@code
 * TensorSpec ids = TensorSpec.of("input_ids", DType.INT64, new long[] {-1, -1},
 *     new String[] {"batch", "sequence"});  // input_ids: int64[batch x sequence]
 * ids.isDynamic(0);   // true
 * ids.dimName(1);     // Optional[sequence]
 * }</pre>
 */
public final class TensorSpec {

  /** The value of a dynamic dimension in {@link #shape()}. */
  public static final long DYNAMIC = -1;

  private final String name;
  private final DType dtype;
  private final long[] shape; // null: no declared shape
  private final String[] dimNames; // per dimension, null where unnamed; never null when shape is not

  private TensorSpec(String name, DType dtype, long[] shape, String[] dimNames) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
    this.dimNames = dimNames;
  }

  /**
   * Creates a spec whose dimensions may carry symbolic names.
   *
   * @param name the tensor's name, non-empty
   * @param dtype its element type
   * @param shape its dimensions, negative for dynamic ones
   * @param dimNames a name per dimension, null (or blank) where it has none; null for none at all
   * @return the spec
   * @throws IllegalArgumentException if the name is empty or the names do not match the rank
   */
  public static TensorSpec of(String name, DType dtype, long[] shape, String[] dimNames) {
    TensorSpec base = of(name, dtype, shape);
    String[] names = new String[shape.length];
    if (dimNames != null) {
      if (dimNames.length != shape.length) {
        throw new IllegalArgumentException(dimNames.length + " dimension names for rank " + shape.length
            + " of '" + name + "'");
      }
      for (int i = 0; i < names.length; i++) {
        names[i] = dimNames[i] == null || dimNames[i].isBlank() ? null : dimNames[i];
      }
    }
    return new TensorSpec(base.name, base.dtype, base.shape, names);
  }

  /**
   * Creates a spec of a tensor declared without a shape: any rank and dimensions fit.
   *
   * @param name the tensor's name, non-empty
   * @param dtype its element type
   * @return the spec
   */
  public static TensorSpec unshaped(String name, DType dtype) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("tensor spec name is empty");
    }
    return new TensorSpec(name, dtype, null, null);
  }

  /**
   * Creates a spec. Any negative dimension is stored as {@link #DYNAMIC}.
   *
   * @param name the tensor's name, non-empty
   * @param dtype its element type
   * @param shape its dimensions, negative for dynamic ones
   * @return the spec
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the name is empty
   */
  public static TensorSpec of(String name, DType dtype, long... shape) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(dtype, "dtype");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("tensor spec name is empty");
    }
    long[] dims = shape.clone();
    for (int i = 0; i < dims.length; i++) {
      if (dims[i] < 0) {
        dims[i] = DYNAMIC;
      }
    }
    return new TensorSpec(name, dtype, dims, new String[dims.length]);
  }

  /**
   * Returns the name.
   *
   * @return the name
   */
  public String name() {
    return name;
  }

  /**
   * Returns the element type.
   *
   * @return the dtype
   */
  public DType dtype() {
    return dtype;
  }

  /**
   * Returns whether the model declares a shape (false: any rank fits).
   *
   * @return whether there is a shape
   */
  public boolean hasShape() {
    return shape != null;
  }

  /**
   * Returns a copy of the dimensions, {@link #DYNAMIC} for dynamic ones.
   *
   * @return the shape, empty when none is declared (see {@link #hasShape()})
   */
  public long[] shape() {
    return shape == null ? new long[0] : shape.clone();
  }

  /**
   * Returns the number of dimensions.
   *
   * @return the rank, or -1 when no shape is declared
   */
  public int rank() {
    return shape == null ? -1 : shape.length;
  }

  /**
   * Returns the symbolic name the model gives a dimension.
   *
   * @param axis its index
   * @return the name, such as {@code batch}, or empty
   */
  public Optional<String> dimName(int axis) {
    return shape == null ? Optional.empty() : Optional.ofNullable(dimNames[axis]);
  }

  /**
   * Returns one dimension.
   *
   * @param axis its index
   * @return its size, or {@link #DYNAMIC}
   */
  public long dim(int axis) {
    return shaped()[axis];
  }

  /**
   * Returns whether a dimension is dynamic.
   *
   * @param axis its index
   * @return whether any size is accepted there
   */
  public boolean isDynamic(int axis) {
    return shaped()[axis] == DYNAMIC;
  }

  private long[] shaped() {
    if (shape == null) {
      throw new IllegalStateException("'" + name + "' has no declared shape; check hasShape() first");
    }
    return shape;
  }

  /**
   * Returns whether a concrete shape fits this spec: same rank and equal fixed dimensions.
   *
   * @param concrete a tensor's shape
   * @return whether it fits
   */
  public boolean accepts(long[] concrete) {
    if (shape == null) {
      return true;
    }
    if (concrete.length != shape.length) {
      return false;
    }
    for (int i = 0; i < shape.length; i++) {
      if (shape[i] != DYNAMIC && shape[i] != concrete[i]) {
        return false;
      }
    }
    return true;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof TensorSpec)) {
      return false;
    }
    TensorSpec s = (TensorSpec) o;
    return name.equals(s.name) && dtype == s.dtype && Arrays.equals(shape, s.shape)
        && Arrays.equals(dimNames, s.dimNames);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape), Arrays.hashCode(dimNames));
  }

  /**
   * Describes the dimensions: {@code ?x128} without names, {@code batch x sequence} with them,
   * {@code any shape} without a declared shape.
   *
   * @return the description
   */
  public String describeShape() {
    if (shape == null) {
      return "any shape";
    }
    boolean named = false;
    for (String n : dimNames) {
      named |= n != null;
    }
    if (!named) {
      return Tensor.describeShape(shape);
    }
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        sb.append(" x ");
      }
      sb.append(dimNames[i] != null && shape[i] == DYNAMIC ? dimNames[i]
          : shape[i] == DYNAMIC ? "?" : Long.toString(shape[i]));
    }
    return sb.toString();
  }

  /** Returns a description such as {@code input_ids: int64[batch x sequence]} or {@code x: float32[?x128]}. */
  @Override
  public String toString() {
    return name + ": " + dtype + "[" + describeShape() + "]";
  }
}
