package dev.swell.api;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The inputs a model takes and the outputs it gives, each a {@link TensorSpec}, in the model's
 * order.
 *
 * <pre>{@code
 * Signature sig = Signature.of(
 *     List.of(TensorSpec.of("x", DType.FLOAT32, -1, 16)),
 *     List.of(TensorSpec.of("y", DType.FLOAT32, -1, 4)));
 * sig.input("x").orElseThrow().dim(1); // 16
 * }</pre>
 */
public final class Signature {

  private final List<TensorSpec> inputs;
  private final List<TensorSpec> outputs;
  private final Map<String, TensorSpec> inputsByName;
  private final Map<String, TensorSpec> outputsByName;

  private Signature(List<TensorSpec> inputs, List<TensorSpec> outputs) {
    this.inputs = List.copyOf(inputs);
    this.outputs = List.copyOf(outputs);
    this.inputsByName = index(this.inputs, "input");
    this.outputsByName = index(this.outputs, "output");
  }

  /**
   * Creates a signature.
   *
   * @param inputs the input specs in order, names unique
   * @param outputs the output specs in order, names unique
   * @return the signature
   * @throws NullPointerException if a list or element is null
   * @throws IllegalArgumentException if a name repeats among inputs or among outputs
   */
  public static Signature of(List<TensorSpec> inputs, List<TensorSpec> outputs) {
    return new Signature(inputs, outputs);
  }

  /**
   * Returns the input specs in order.
   *
   * @return an unmodifiable list
   */
  public List<TensorSpec> inputs() {
    return inputs;
  }

  /**
   * Returns the output specs in order.
   *
   * @return an unmodifiable list
   */
  public List<TensorSpec> outputs() {
    return outputs;
  }

  /**
   * Finds an input by name.
   *
   * @param name the name
   * @return its spec, or empty
   */
  public Optional<TensorSpec> input(String name) {
    return Optional.ofNullable(inputsByName.get(name));
  }

  /**
   * Finds an output by name.
   *
   * @param name the name
   * @return its spec, or empty
   */
  public Optional<TensorSpec> output(String name) {
    return Optional.ofNullable(outputsByName.get(name));
  }

  private static Map<String, TensorSpec> index(List<TensorSpec> specs, String what) {
    Map<String, TensorSpec> map = new LinkedHashMap<>();
    for (TensorSpec s : specs) {
      Objects.requireNonNull(s, what + " spec");
      if (map.put(s.name(), s) != null) {
        throw new IllegalArgumentException(what + " name '" + s.name() + "' appears twice");
      }
    }
    return map;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof Signature
        && inputs.equals(((Signature) o).inputs)
        && outputs.equals(((Signature) o).outputs);
  }

  @Override
  public int hashCode() {
    return 31 * inputs.hashCode() + outputs.hashCode();
  }

  /** Returns a description such as {@code (x: float32[?x16]) -> (y: float32[?x4])}. */
  @Override
  public String toString() {
    return "(" + join(inputs) + ") -> (" + join(outputs) + ")";
  }

  private static String join(List<TensorSpec> specs) {
    StringBuilder sb = new StringBuilder();
    for (TensorSpec s : specs) {
      if (sb.length() > 0) {
        sb.append(", ");
      }
      sb.append(s);
    }
    return sb.toString();
  }
}
