package dev.swell.api;

import java.util.Arrays;
import java.util.Objects;

/**
 * What a model expects of one input, or promises of one output: a name, a {@link DType} and a
 * shape in which a negative dimension is dynamic (any size).
 *
 * <pre>{@code
 * TensorSpec ids = TensorSpec.of("input_ids", DType.INT64, -1, -1); // [batch, sequence]
 * ids.isDynamic(0); // true
 * }</pre>
 */
public final class TensorSpec {

  /** The value of a dynamic dimension in {@link #shape()}. */
  public static final long DYNAMIC = -1;

  private final String name;
  private final DType dtype;
  private final long[] shape;

  private TensorSpec(String name, DType dtype, long[] shape) {
    this.name = name;
    this.dtype = dtype;
    this.shape = shape;
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
    return new TensorSpec(name, dtype, dims);
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
   * Returns a copy of the dimensions, {@link #DYNAMIC} for dynamic ones.
   *
   * @return the shape
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
   * @param axis its index
   * @return its size, or {@link #DYNAMIC}
   */
  public long dim(int axis) {
    return shape[axis];
  }

  /**
   * Returns whether a dimension is dynamic.
   *
   * @param axis its index
   * @return whether any size is accepted there
   */
  public boolean isDynamic(int axis) {
    return shape[axis] == DYNAMIC;
  }

  /**
   * Returns whether a concrete shape fits this spec: same rank and equal fixed dimensions.
   *
   * @param concrete a tensor's shape
   * @return whether it fits
   */
  public boolean accepts(long[] concrete) {
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
    return name.equals(s.name) && dtype == s.dtype && Arrays.equals(shape, s.shape);
  }

  @Override
  public int hashCode() {
    return Objects.hash(name, dtype, Arrays.hashCode(shape));
  }

  /** Returns a description such as {@code input_ids: int64[?x128]}. */
  @Override
  public String toString() {
    return name + ": " + dtype + "[" + Tensor.describeShape(shape) + "]";
  }
}
