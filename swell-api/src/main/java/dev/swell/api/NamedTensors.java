package dev.swell.api;

import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable, ordered collection of tensors by name: the inputs of a call or its outputs.
 *
 * <p>Iteration follows insertion order. Names are unique and non-empty.
 *
 * <pre>{@code
 * NamedTensors inputs = NamedTensors.of("x", Tensor.of(new float[] {1, 2, 3, 4}, 1, 4));
 * NamedTensors two = NamedTensors.builder()
 *     .put("input_ids", ids)
 *     .put("attention_mask", mask)
 *     .build();
 * }</pre>
 */
public final class NamedTensors implements Iterable<Map.Entry<String, Tensor>> {

  private static final NamedTensors EMPTY = new NamedTensors(Map.of());

  private final Map<String, Tensor> tensors;

  private NamedTensors(Map<String, Tensor> tensors) {
    this.tensors = tensors;
  }

  /**
   * Returns an empty collection.
   *
   * @return no tensors
   */
  public static NamedTensors empty() {
    return EMPTY;
  }

  /**
   * Returns a collection of one tensor.
   *
   * @param name its name
   * @param tensor the tensor
   * @return the collection
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if the name is empty
   */
  public static NamedTensors of(String name, Tensor tensor) {
    return builder().put(name, tensor).build();
  }

  /**
   * Returns a collection of two tensors, in this order.
   *
   * @param name1 the first name
   * @param tensor1 the first tensor
   * @param name2 the second name
   * @param tensor2 the second tensor
   * @return the collection
   * @throws NullPointerException if an argument is null
   * @throws IllegalArgumentException if a name is empty or repeated
   */
  public static NamedTensors of(String name1, Tensor tensor1, String name2, Tensor tensor2) {
    return builder().put(name1, tensor1).put(name2, tensor2).build();
  }

  /**
   * Copies a map, in its iteration order.
   *
   * @param tensors the tensors by name
   * @return the collection
   * @throws NullPointerException if a key or value is null
   * @throws IllegalArgumentException if a name is empty
   */
  public static NamedTensors copyOf(Map<String, Tensor> tensors) {
    Builder b = builder();
    tensors.forEach(b::put);
    return b.build();
  }

  /**
   * Starts a collection.
   *
   * @return a new builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns the tensor of a name.
   *
   * @param name the name
   * @return the tensor, or {@code null} if there is none of that name
   */
  public Tensor get(String name) {
    return tensors.get(name);
  }

  /**
   * Returns the tensor of a name, which must be present.
   *
   * @param name the name
   * @return the tensor
   * @throws IllegalArgumentException if there is none of that name; the message lists the names
   */
  public Tensor require(String name) {
    Tensor t = tensors.get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor named '" + name + "'; present: " + names());
    }
    return t;
  }

  /**
   * Returns the names in order.
   *
   * @return an unmodifiable ordered set
   */
  public Set<String> names() {
    return tensors.keySet();
  }

  /**
   * Returns the tensors in order.
   *
   * @return an unmodifiable list
   */
  public List<Tensor> tensors() {
    return List.copyOf(tensors.values());
  }

  /**
   * Returns the collection as an unmodifiable ordered map.
   *
   * @return the map
   */
  public Map<String, Tensor> asMap() {
    return tensors;
  }

  /**
   * Returns the number of tensors.
   *
   * @return the size
   */
  public int size() {
    return tensors.size();
  }

  /**
   * Returns whether there are no tensors.
   *
   * @return whether empty
   */
  public boolean isEmpty() {
    return tensors.isEmpty();
  }

  @Override
  public Iterator<Map.Entry<String, Tensor>> iterator() {
    return tensors.entrySet().iterator();
  }

  /** Equal when the same names map to equal tensors, in the same order. */
  @Override
  public boolean equals(Object o) {
    return o instanceof NamedTensors
        && List.copyOf(tensors.entrySet()).equals(List.copyOf(((NamedTensors) o).tensors.entrySet()));
  }

  @Override
  public int hashCode() {
    return tensors.hashCode();
  }

  @Override
  public String toString() {
    return tensors.toString();
  }

  /** Collects tensors in order. Not thread-safe; {@link #build()} may be called more than once. */
  public static final class Builder {
    private LinkedHashMap<String, Tensor> map = new LinkedHashMap<>();
    /** Whether {@link #build()} handed the map out: the next put copies it first. */
    private boolean shared;

    private Builder() {}

    /**
     * Adds a tensor.
     *
     * @param name its name, unique and non-empty
     * @param tensor the tensor
     * @return this builder
     * @throws NullPointerException if an argument is null
     * @throws IllegalArgumentException if the name is empty or already present
     */
    public Builder put(String name, Tensor tensor) {
      Objects.requireNonNull(name, "name");
      Objects.requireNonNull(tensor, () -> "tensor '" + name + "' is null");
      if (name.isEmpty()) {
        throw new IllegalArgumentException("tensor name is empty");
      }
      if (shared) {
        map = new LinkedHashMap<>(map);
        shared = false;
      }
      if (map.putIfAbsent(name, tensor) != null) {
        throw new IllegalArgumentException("tensor name '" + name + "' appears twice");
      }
      return this;
    }

    /**
     * Returns the collection of what was added so far.
     *
     * @return the collection
     */
    public NamedTensors build() {
      if (map.isEmpty()) {
        return EMPTY;
      }
      shared = true; // no copy now: a later put copies (builders are rarely reused)
      return new NamedTensors(Collections.unmodifiableMap(map));
    }
  }
}
