package dev.swell.api;

import java.util.AbstractList;
import java.util.AbstractMap;
import java.util.Arrays;
import java.util.Collections;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.NoSuchElementException;
import java.util.Objects;
import java.util.Set;

/**
 * An immutable, ordered collection of tensors by name: the inputs of a call or its outputs.
 *
 * <p>Iteration follows insertion order. Names are unique and non-empty. Held in two small arrays
 * (a call's inputs are a few tensors), so making one costs three small objects and a lookup by
 * name compares a few strings; the map and set views are made when first asked for.
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

  private static final NamedTensors EMPTY = new NamedTensors(new Object[0]);

  // name i at 2i, its tensor at 2i + 1: one array, not two (a request's collection is made per call)
  private final Object[] entries;
  private Map<String, Tensor> map; // made on first asMap(); racy but idempotent

  private NamedTensors(Object[] entries) {
    this.entries = entries;
  }

  private String nameAt(int i) {
    return (String) entries[2 * i];
  }

  private Tensor valueAt(int i) {
    return (Tensor) entries[2 * i + 1];
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
    check(name, tensor);
    return new NamedTensors(new Object[] {name, tensor});
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
   * @throws IllegalArgumentException if a name is empty or both names are the same
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
    int i = indexOf(name);
    return i < 0 ? null : valueAt(i);
  }

  private int indexOf(String name) {
    for (int i = 0; i < entries.length; i += 2) {
      if (entries[i] == name) { // names are often the same constant or signature string
        return i / 2;
      }
    }
    for (int i = 0; i < entries.length; i += 2) {
      if (entries[i].equals(name)) {
        return i / 2;
      }
    }
    return -1;
  }

  /**
   * Returns the tensor of a name, which must be present.
   *
   * @param name the name
   * @return the tensor
   * @throws IllegalArgumentException if there is none of that name; the message lists the names
   */
  public Tensor require(String name) {
    Tensor t = get(name);
    if (t == null) {
      throw new IllegalArgumentException("no tensor named '" + name + "'; present: " + names());
    }
    return t;
  }

  /**
   * Returns the name at a position (insertion order).
   *
   * @param index from 0 to {@code size() - 1}
   * @return the name
   * @throws IndexOutOfBoundsException if there is no such position
   */
  public String name(int index) {
    return nameAt(checkIndex(index));
  }

  /**
   * Returns the tensor at a position (insertion order).
   *
   * @param index from 0 to {@code size() - 1}
   * @return the tensor
   * @throws IndexOutOfBoundsException if there is no such position
   */
  public Tensor tensor(int index) {
    return valueAt(checkIndex(index));
  }

  /**
   * Returns the names in order.
   *
   * @return an unmodifiable ordered set
   */
  public Set<String> names() {
    return asMap().keySet();
  }

  /**
   * Returns the tensors in order.
   *
   * @return an unmodifiable list (a view: no copy)
   */
  public List<Tensor> tensors() {
    return new AbstractList<>() {
      @Override
      public Tensor get(int index) {
        return valueAt(checkIndex(index));
      }

      @Override
      public int size() {
        return NamedTensors.this.size();
      }
    };
  }

  /**
   * Returns the collection as an unmodifiable ordered map.
   *
   * @return the map
   */
  public Map<String, Tensor> asMap() {
    Map<String, Tensor> m = map;
    if (m == null) {
      LinkedHashMap<String, Tensor> built = new LinkedHashMap<>();
      for (int i = 0; i < size(); i++) {
        built.put(nameAt(i), valueAt(i));
      }
      m = Collections.unmodifiableMap(built);
      map = m;
    }
    return m;
  }

  /**
   * Returns the number of tensors.
   *
   * @return the size
   */
  public int size() {
    return entries.length / 2;
  }

  private int checkIndex(int index) {
    return Objects.checkIndex(index, size());
  }

  /**
   * Returns whether there are no tensors.
   *
   * @return whether empty
   */
  public boolean isEmpty() {
    return entries.length == 0;
  }

  @Override
  public Iterator<Map.Entry<String, Tensor>> iterator() {
    return new Iterator<>() {
      private int next;

      @Override
      public boolean hasNext() {
        return next < size();
      }

      @Override
      public Map.Entry<String, Tensor> next() {
        if (next >= size()) {
          throw new NoSuchElementException();
        }
        int i = next++;
        return new AbstractMap.SimpleImmutableEntry<>(nameAt(i), valueAt(i));
      }
    };
  }

  /** Equal when the same names map to equal tensors, in the same order. */
  @Override
  public boolean equals(Object o) {
    return o instanceof NamedTensors n && Arrays.equals(entries, n.entries);
  }

  /** The hash of the equivalent map (the sum over entries of name hash XOR tensor hash). */
  @Override
  public int hashCode() {
    int h = 0;
    for (int i = 0; i < size(); i++) {
      h += nameAt(i).hashCode() ^ valueAt(i).hashCode();
    }
    return h;
  }

  @Override
  public String toString() {
    return asMap().toString();
  }

  private static void check(String name, Tensor tensor) {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(tensor, () -> "tensor '" + name + "' is null");
    if (name.isEmpty()) {
      throw new IllegalArgumentException("tensor name is empty");
    }
  }

  /** Collects tensors in order. Not thread-safe; {@link #build()} may be called more than once. */
  public static final class Builder {
    private String[] names = new String[4];
    private Tensor[] values = new Tensor[4];
    private int size;

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
      check(name, tensor);
      for (int i = 0; i < size; i++) {
        if (names[i].equals(name)) {
          throw new IllegalArgumentException("tensor name '" + name + "' appears twice");
        }
      }
      if (size == names.length) {
        names = Arrays.copyOf(names, size * 2);
        values = Arrays.copyOf(values, size * 2);
      }
      names[size] = name;
      values[size] = tensor;
      size++;
      return this;
    }

    /**
     * Returns the collection of what was added so far.
     *
     * @return the collection
     */
    public NamedTensors build() {
      if (size == 0) {
        return EMPTY;
      }
      Object[] entries = new Object[2 * size];
      for (int i = 0; i < size; i++) {
        entries[2 * i] = names[i];
        entries[2 * i + 1] = values[i];
      }
      return new NamedTensors(entries);
    }
  }
}
