package dev.swell.samples.server;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Duration;
import java.util.HexFormat;

/**
 * Who may call the server and how often: a bearer token for the admin API (off without one), an
 * optional bearer token for inference and metadata, and an optional rate limit per client (a token
 * bucket per bearer token, or per client address without one). Health routes are always open and
 * never limited, since probes must reach them. Tokens are kept as SHA-256 digests and compared in
 * constant time; neither they nor their digests are ever logged or printed.
 *
 * <pre>{@code
 * Access access = Access.builder().adminToken(System.getenv("SWELL_ADMIN_TOKEN"))
 *     .rateLimit(1_000, 2_000).build();
 * }</pre>
 */
public final class Access {

  private final byte[] admin;
  private final byte[] inference;
  private final double perSecond;
  private final long burst;
  private final Cache<String, Bucket> buckets;

  private Access(Builder b) {
    this.admin = b.admin;
    this.inference = b.inference;
    this.perSecond = b.perSecond;
    this.burst = b.burst;
    this.buckets = perSecond > 0
        ? Caffeine.newBuilder().maximumSize(100_000).expireAfterAccess(Duration.ofMinutes(10)).build() : null;
  }

  /**
   * Returns open access: no tokens, no admin API, no rate limit.
   *
   * @return the open policy
   */
  public static Access open() {
    return builder().build();
  }

  /**
   * Starts a policy.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /** Whether the admin API is on. */
  boolean adminEnabled() {
    return admin != null;
  }

  /** Whether the request's {@code Authorization} header carries the admin token. */
  boolean isAdmin(String authorization) {
    return admin != null && matches(admin, authorization);
  }

  /** Whether the request may call inference and metadata routes. */
  boolean mayInfer(String authorization) {
    return inference == null || matches(inference, authorization) || isAdmin(authorization);
  }

  /**
   * Takes one request from the client's bucket.
   *
   * @return 0 when allowed, else the seconds until the next request would be (at least 1)
   */
  long take(String authorization, String clientAddress) {
    if (buckets == null) {
      return 0;
    }
    String token = token(authorization);
    String key = token != null ? "t:" + HexFormat.of().formatHex(digest(token)) : "a:" + clientAddress;
    Bucket bucket = buckets.get(key, k -> new Bucket(burst, System.nanoTime()));
    return bucket.take(perSecond, burst, System.nanoTime());
  }

  private static boolean matches(byte[] expected, String authorization) {
    String token = token(authorization);
    // both sides hashed: equal lengths, so the comparison's time says nothing about the token
    return token != null && MessageDigest.isEqual(expected, digest(token));
  }

  /**
   * The bearer token of an {@code Authorization} header, or null. The scheme may repeat: Flink's
   * Triton provider prefixes "Bearer " to an {@code auth-token} its documentation shows with the
   * prefix already, and sends "Bearer Bearer ...".
   */
  static String token(String authorization) {
    if (authorization == null || !authorization.regionMatches(true, 0, "Bearer ", 0, 7)) {
      return null;
    }
    String t = authorization.substring(7).trim();
    if (t.regionMatches(true, 0, "Bearer ", 0, 7)) {
      t = t.substring(7).trim();
    }
    return t.isEmpty() ? null : t;
  }

  static byte[] digest(String token) {
    try {
      return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  }

  @Override
  public String toString() {
    return "Access[admin " + (admin != null ? "on" : "off") + ", inference token " + (inference != null ? "on" : "off")
        + ", rate limit " + (perSecond > 0 ? perSecond + "/s, burst " + burst : "off") + "]";
  }

  /** A token bucket: {@code burst} requests at once, refilled at {@code perSecond}. */
  private static final class Bucket {
    private double tokens;
    private long last;

    Bucket(long burst, long now) {
      this.tokens = burst;
      this.last = now;
    }

    synchronized long take(double perSecond, long burst, long now) {
      tokens = Math.min(burst, tokens + (now - last) / 1e9 * perSecond);
      last = now;
      if (tokens >= 1) {
        tokens -= 1;
        return 0;
      }
      return Math.max(1, (long) Math.ceil((1 - tokens) / perSecond));
    }
  }

  /** Builds an {@link Access}. */
  public static final class Builder {
    private byte[] admin;
    private byte[] inference;
    private double perSecond;
    private long burst;

    private Builder() {}

    /**
     * Turns the admin API on behind this bearer token.
     *
     * @param token at least 16 characters
     * @return this builder
     * @throws IllegalArgumentException if the token is shorter
     */
    public Builder adminToken(String token) {
      this.admin = digest(checked(token, "admin token"));
      return this;
    }

    /**
     * Puts inference and metadata behind this bearer token (the admin token works too).
     *
     * @param token at least 16 characters
     * @return this builder
     * @throws IllegalArgumentException if the token is shorter
     */
    public Builder inferenceToken(String token) {
      this.inference = digest(checked(token, "inference token"));
      return this;
    }

    /**
     * Limits each client to {@code perSecond} requests a second, {@code burst} at once; beyond it
     * the server answers 429 with {@code Retry-After}.
     *
     * @param perSecond positive
     * @param burst at least 1
     * @return this builder
     */
    public Builder rateLimit(double perSecond, long burst) {
      if (!(perSecond > 0) || burst < 1) {
        throw new IllegalArgumentException("a rate limit needs perSecond > 0 and burst >= 1, was " + perSecond + ", "
            + burst);
      }
      this.perSecond = perSecond;
      this.burst = burst;
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public Access build() {
      return new Access(this);
    }

    private static String checked(String token, String what) {
      if (token == null || token.strip().length() < 16) {
        throw new IllegalArgumentException("the " + what + " must have at least 16 characters"
            + (token == null ? ", was none" : ", had " + token.strip().length()));
      }
      return token.strip();
    }
  }
}
