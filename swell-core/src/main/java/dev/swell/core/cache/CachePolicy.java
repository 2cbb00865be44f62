package dev.swell.core.cache;

import java.time.Duration;
import java.util.Objects;
import java.util.Set;

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
 * @param maxBytes the most bytes of inputs and outputs kept (roughly: tensors' bytes plus a small
 *     overhead per entry); least recently and least frequently used entries go first
 * @param expireAfterWrite how long an entry lives, or null for as long as the size allows
 * @param models the models to cache, or empty for all
 */
public record CachePolicy(long maxBytes, Duration expireAfterWrite, Set<String> models) {

  /**
   * Validates and copies.
   *
   * @param maxBytes positive
   * @param expireAfterWrite positive, or null
   * @param models model names, empty for all
   */
  public CachePolicy {
    if (maxBytes < 1) {
      throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes);
    }
    if (expireAfterWrite != null && (expireAfterWrite.isNegative() || expireAfterWrite.isZero())) {
      throw new IllegalArgumentException("expireAfterWrite must be positive, was " + expireAfterWrite);
    }
    models = Set.copyOf(Objects.requireNonNull(models, "models"));
  }

  /**
   * Caches every model's results in up to {@code bytes}, with no expiry.
   *
   * @param bytes the size bound
   * @return the policy
   */
  public static CachePolicy maxBytes(long bytes) {
    return new CachePolicy(bytes, null, Set.of());
  }

  /**
   * Returns a copy whose entries expire this long after they were written.
   *
   * @param ttl positive
   * @return the policy
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
   * Returns whether a model's results are cached.
   *
   * @param model the model's name
   * @return whether it is cached
   */
  public boolean caches(String model) {
    return models.isEmpty() || models.contains(model);
  }
}
