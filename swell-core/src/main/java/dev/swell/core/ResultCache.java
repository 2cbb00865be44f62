package dev.swell.core;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Ticker;
import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.Arrays;
import java.util.Map;

/**
 * Results by (loaded version, inputs), in a size-bounded Caffeine cache. A key holds its own copy
 * of the inputs (a caller may reuse its buffers) and equality compares every byte, so a hash
 * collision can never return another input's answer.
 */
final class ResultCache {

  /** Per entry, beside the tensors' bytes: key, arrays, map node, tensor objects. */
  private static final int ENTRY_OVERHEAD = 256;

  private final Cache<Key, NamedTensors> cache;

  ResultCache(CachePolicy policy, Ticker ticker) {
    Caffeine<Object, Object> b = Caffeine.newBuilder().ticker(ticker).maximumWeight(policy.maxBytes())
        .executor(Runnable::run);
    if (policy.expireAfterWrite() != null) {
      b.expireAfterWrite(policy.expireAfterWrite());
    }
    this.cache = b.<Key, NamedTensors>weigher((k, v) -> (int) Math.min(Integer.MAX_VALUE,
        k.bytes + bytes(v) + ENTRY_OVERHEAD)).build();
  }

  /** The cached outputs of these inputs on this version, or null. Copies nothing. */
  NamedTensors get(long versionId, NamedTensors inputs) {
    return cache.getIfPresent(new Key(versionId, inputs, false));
  }

  /** Remembers outputs; the inputs are copied. */
  void put(long versionId, NamedTensors inputs, NamedTensors outputs) {
    cache.put(new Key(versionId, inputs, true), outputs);
  }

  /** Drops a version's entries (it was unloaded or swapped out). */
  void invalidate(long versionId) {
    cache.asMap().keySet().removeIf(k -> k.versionId == versionId);
  }

  /** Entries now (after pending maintenance). */
  long entries() {
    cache.cleanUp();
    return cache.estimatedSize();
  }

  /** Weighted size now, in bytes. */
  long weightedBytes() {
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
  static final class Key {
    final long versionId;
    final String[] names;
    final Tensor[] tensors;
    final long bytes;
    private final int hash;

    Key(long versionId, NamedTensors inputs, boolean copy) {
      this.versionId = versionId;
      int n = inputs.size();
      names = new String[n];
      tensors = new Tensor[n];
      int i = 0;
      for (Map.Entry<String, Tensor> e : inputs) {
        names[i++] = e.getKey();
      }
      Arrays.sort(names);
      long b = 0;
      int h = Long.hashCode(versionId);
      for (i = 0; i < n; i++) {
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
      return versionId == k.versionId && hash == k.hash && Arrays.equals(names, k.names)
          && Arrays.equals(tensors, k.tensors);
    }

    @Override
    public int hashCode() {
      return hash;
    }
  }
}
