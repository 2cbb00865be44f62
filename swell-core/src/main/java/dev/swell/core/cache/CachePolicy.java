package dev.swell.core.cache;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;
import java.util.TreeSet;

/**
 * Turns on result caching ({@code Swell.builder().resultCache(...)}): a request whose inputs are
 * identical, bit for bit, to an earlier request to the same loaded version is answered from memory
 * without running the model. Keys hold a private copy of the inputs and are compared in full (no
 * answer on a hash alone); a version's entries go when it is unloaded or swapped out, so a cached
 * answer always comes from the version that answers. Only for deterministic models.
 *
 * <pre>{@code
 * Swell.builder().resultCache(CachePolicy.maxBytes(64 << 20).expireAfterWrite(Duration.ofMinutes(10)))
 * }</pre>
 *
 * <p>Immutable: each method returns a new policy. A class rather than a record, so that options can
 * be added without changing a public constructor.
 */
public final class CachePolicy {

  private final long maxBytes;
  private final Duration expireAfterWrite;
  private final Set<String> models;

  private CachePolicy(long maxBytes, Duration expireAfterWrite, Set<String> models) {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes);
    }
    if (expireAfterWrite != null && (expireAfterWrite.isNegative() || expireAfterWrite.isZero())) {
      throw new IllegalArgumentException("expireAfterWrite must be positive, was " + expireAfterWrite);
    }
    this.maxBytes = maxBytes;
    this.expireAfterWrite = expireAfterWrite;
    this.models = Set.copyOf(models);
  }

  /**
   * Caches every model's results in up to {@code bytes}, with no expiry.
   *
   * @param bytes the most bytes of inputs and outputs kept (roughly: tensors' bytes plus a small
   *     overhead per entry), positive; least recently and least frequently used entries go first
   * @return the policy
   * @throws IllegalArgumentException if {@code bytes} is not positive
   */
  public static CachePolicy maxBytes(long bytes) {
    return new CachePolicy(bytes, null, Set.of());
  }

  /**
   * Returns a copy whose entries expire this long after they were written.
   *
   * @param ttl positive
   * @return the policy
   * @throws IllegalArgumentException if {@code ttl} is not positive
   */
  public CachePolicy expireAfterWrite(Duration ttl) {
    return new CachePolicy(maxBytes, Objects.requireNonNull(ttl, "ttl"), models);
  }

  /**
   * Returns a copy that caches only these models.
   *
   * @param names model names
   * @return the policy
   */
  public CachePolicy onlyModels(String... names) {
    return new CachePolicy(maxBytes, expireAfterWrite, Set.of(names));
  }

  /**
   * Returns the size bound.
   *
   * @return bytes of inputs and outputs kept at most
   */
  public long maxBytes() {
    return maxBytes;
  }

  /**
   * Returns how long an entry lives.
   *
   * @return the time after writing, or null for as long as the size allows
   */
  public Duration expireAfterWrite() {
    return expireAfterWrite;
  }

  /**
   * Returns the models cached.
   *
   * @return their names, empty for all
   */
  public Set<String> models() {
    return models;
  }

  /**
   * Returns whether a model's results are cached.
   *
   * @param model the model's name
   * @return whether it is cached
   */
  public boolean caches(String model) {
    return models.isEmpty() || models.contains(model);
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof CachePolicy c && c.maxBytes == maxBytes && Objects.equals(c.expireAfterWrite, expireAfterWrite)
        && c.models.equals(models);
  }

  @Override
  public int hashCode() {
    return Objects.hash(maxBytes, expireAfterWrite, models);
  }

  @Override
  public String toString() {
    return "CachePolicy[maxBytes=" + maxBytes + ", expireAfterWrite=" + expireAfterWrite + ", models="
        + (models.isEmpty() ? "all" : new TreeSet<>(models)) + "]";
  }
}
