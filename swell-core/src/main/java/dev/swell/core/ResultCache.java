package dev.swell.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import dev.swell.core.cache.CachePolicy;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;

/**
 * Results by (scope, inputs), in a size-bounded Caffeine cache. A scope is a number the caller
 * gives to what produced the results: the runtime uses one per loaded version, so that a swap or
 * a reload never sees another version's answers. A key holds its own copy of the inputs (a caller
 * may reuse its buffers) and equality compares every byte, so a hash collision can never return
 * another input's answer. Thread-safe.
 *
 * <pre>{@code
 * ResultCache cache = new ResultCache(CachePolicy.maxBytes(64 << 20), Ticker.systemTicker());
 * NamedTensors out = cache.get(scope, inputs);
 * if (out == null) {
 *   out = model.run(inputs);
 *   cache.put(scope, inputs, out);
 * }
 * }</pre>
 */
final class ResultCache {

  /** Per entry, beside the tensors' bytes: key, arrays, map node, tensor objects. */
  private static final int ENTRY_OVERHEAD = 256;

  private final Cache<Key, NamedTensors> cache;

  /**
   * Creates a cache.
   *
   * @param policy size bound and expiry (its model list is for the runtime, not used here)
   * @param ticker the time source for expiry
   */
  public ResultCache(CachePolicy policy, Ticker ticker) {
    Caffeine<Object, Object> b = Caffeine.newBuilder().ticker(ticker).maximumWeight(policy.maxBytes())
        .executor(Runnable::run);
    if (policy.expireAfterWrite() != null) {
      b.expireAfterWrite(policy.expireAfterWrite());
    }
    this.cache = b.<Key, NamedTensors>weigher((k, v) -> (int) Math.min(Integer.MAX_VALUE,
        k.bytes + bytes(v) + ENTRY_OVERHEAD)).build();
  }

  /**
   * Returns the outputs cached for these inputs in this scope. Copies nothing.
   *
   * @param scope the scope
   * @param inputs the inputs
   * @return the outputs, or null
   */
  public NamedTensors get(long scope, NamedTensors inputs) {
    return cache.getIfPresent(new Key(scope, inputs, false));
  }

  /**
   * Remembers outputs; the inputs are copied (outputs are immutable tensors, kept as they are).
   *
   * @param scope the scope
   * @param inputs the inputs
   * @param outputs their outputs
   */
  public void put(long scope, NamedTensors inputs, NamedTensors outputs) {
    cache.put(new Key(scope, inputs, true), outputs);
  }

  /**
   * Drops a scope's entries (its version was unloaded or swapped out).
   *
   * @param scope the scope
   */
  public void invalidate(long scope) {
    cache.asMap().keySet().removeIf(k -> k.scope == scope);
  }

  /**
   * Returns the number of entries now (after pending maintenance).
   *
   * @return the entry count
   */
  public long entries() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /**
   * Returns the weighted size now: the entries' tensor bytes and overheads.
   *
   * @return bytes
   */
  public long weightedBytes() {
    cache.cleanUp();
    return cache.policy().eviction().map(e -> e.weightedSize().orElse(0)).orElse(0L);
  }

  private static long bytes(NamedTensors t) {
    long n = 0;
    for (Tensor x : t.tensors()) {
      n += bytes(x);
    }
    return n;
  }

  private static long bytes(Tensor t) {
    if (t.dtype() != DType.STRING) {
      return t.byteSize();
    }
    long n = 0;
    for (String s : t.toStringArray()) {
      n += 40 + 2L * s.length();
    }
    return n;
  }

  /** A version and its inputs, sorted by name so that order does not matter. */
  private static final class Key {
    final long scope;
    final String[] names;
    final Tensor[] tensors;
    final long bytes;
    private final int hash;

    Key(long scope, NamedTensors inputs, boolean copy) {
      this.scope = scope;
      int n = inputs.size();
      names = new String[n];
      tensors = new Tensor[n];
      for (int i = 0; i < n; i++) {
        names[i] = inputs.name(i);
      }
      Arrays.sort(names);
      long b = 0;
      int h = Long.hashCode(scope);
      for (int i = 0; i < n; i++) {
        Tensor t = inputs.get(names[i]);
        tensors[i] = copy ? copyOf(t) : t;
        b += bytes(t);
        h = 31 * (31 * h + names[i].hashCode()) + contentHash(t);
      }
      this.bytes = b;
      this.hash = h;
    }

    /** A hash of dtype, shape and elements; eight bytes at a time (Tensor.hashCode goes byte by byte). */
    private static int contentHash(Tensor t) {
      int h = 31 * t.dtype().hashCode() + Arrays.hashCode(t.shape());
      if (t.dtype() == DType.STRING) {
        return 31 * h + Arrays.hashCode(t.toStringArray());
      }
      ByteBuffer b = t.buffer();
      int n = b.remaining();
      long acc = h;
      int i = 0;
      for (; i + 8 <= n; i += 8) {
        acc = acc * 0x9E3779B97F4A7C15L + b.getLong(i);
      }
      for (; i < n; i++) {
        acc = acc * 31 + b.get(i);
      }
      return (int) (acc ^ (acc >>> 32));
    }

    private static Tensor copyOf(Tensor t) {
      if (t.dtype() == DType.STRING) {
        return Tensor.of(t.toStringArray(), t.shape()); // strings are immutable: a new array is enough
      }
      ByteBuffer src = t.buffer();
      ByteBuffer dst = ByteBuffer.allocate(src.remaining()).order(ByteOrder.nativeOrder());
      dst.put(src).flip();
      return Tensor.fromBuffer(t.dtype(), dst, t.shape());
    }

    @Override
    public boolean equals(Object o) {
      if (!(o instanceof Key)) {
        return false;
      }
      Key k = (Key) o;
      return scope == k.scope && hash == k.hash && Arrays.equals(names, k.names)
          && Arrays.equals(tensors, k.tensors);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
