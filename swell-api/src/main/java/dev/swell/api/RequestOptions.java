package dev.swell.api;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * Per-request options: how long the request may take, how it ranks under overload, which unit it
 * is for, and an id that comes back in the {@link Prediction}. Immutable; build one with
 * {@link #builder()}, or use {@link #DEFAULT}.
 *
 * <p>A deadline counts from the moment {@code predict} is called and covers everything: waiting
 * for admission or for a batch, and running. A request whose deadline passes before it runs never
 * reaches the model; one that is running when it passes is cancelled in the backend (ONNX Runtime
 * stops at its next operator). Either way it fails with a {@link DeadlineExceededException}.
 *
 * <pre>{@code
 * RequestOptions o = RequestOptions.builder().timeout(Duration.ofMillis(50)).priority(Priority.LOW)
 *     .requestId("req-8812").build();
 * Prediction p = predictor.predict(inputs, o);   // p.requestId() is "req-8812"
 * }</pre>
 */
public final class RequestOptions {

  /** No deadline (beyond the model's default), high priority, no unit, no id. */
  public static final RequestOptions DEFAULT = new RequestOptions(null, Priority.HIGH, null, null, true);

  private final Duration timeout;
  private final Priority priority;
  private final String unitKey;
  private final String requestId;
  private final boolean cacheable;

  private RequestOptions(Duration timeout, Priority priority, String unitKey, String requestId, boolean cacheable) {
    this.timeout = timeout;
    this.priority = priority;
    this.unitKey = unitKey;
    this.requestId = requestId;
    this.cacheable = cacheable;
  }

  /**
   * Starts building options.
   *
   * @return a builder with the defaults
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Returns how long the request may take, from the call.
   *
   * @return the timeout, or empty for the model's default
   */
  public Optional<Duration> timeout() {
    return Optional.ofNullable(timeout);
  }

  /**
   * Returns the priority.
   *
   * @return high or low
   */
  public Priority priority() {
    return priority;
  }

  /**
   * Returns the unit (a user, an account) the request is for.
   *
   * @return the unit key, or empty
   */
  public Optional<String> unitKey() {
    return Optional.ofNullable(unitKey);
  }

  /**
   * Returns the request's id, handed back in the prediction.
   *
   * @return the id, or empty
   */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }

  /**
   * Returns whether the answer may come from the runtime's result cache and be stored in it.
   *
   * @return false if the request skips the cache
   */
  public boolean cacheable() {
    return cacheable;
  }

  @Override
  public String toString() {
    return "RequestOptions[" + (timeout == null ? "" : "timeout " + timeout + ", ") + priority
        + (unitKey == null ? "" : ", unit " + unitKey) + (requestId == null ? "" : ", id " + requestId)
        + (cacheable ? "" : ", no cache") + "]";
  }

  /** Builds {@link RequestOptions}; each option is checked when set. Not thread-safe. */
  public static final class Builder {
    private Duration timeout;
    private Priority priority = Priority.HIGH;
    private String unitKey;
    private String requestId;
    private boolean cacheable = true;

    private Builder() {}

    /**
     * Sets the request's timeout.
     *
     * @param t positive
     * @return this builder
     * @throws IllegalArgumentException if not positive
     */
    public Builder timeout(Duration t) {
      Objects.requireNonNull(t, "timeout");
      if (t.isNegative() || t.isZero()) {
        throw new IllegalArgumentException("timeout must be positive, was " + t);
      }
      this.timeout = t;
      return this;
    }

    /**
     * Sets the priority (default {@link Priority#HIGH}).
     *
     * @param p the priority
     * @return this builder
     */
    public Builder priority(Priority p) {
      this.priority = Objects.requireNonNull(p, "priority");
      return this;
    }

    /**
     * Sets the unit the request is for.
     *
     * @param key a user id, say
     * @return this builder
     */
    public Builder unitKey(String key) {
      this.unitKey = Objects.requireNonNull(key, "unitKey");
      return this;
    }

    /**
     * Sets the request's id.
     *
     * @param id any text, handed back in the prediction
     * @return this builder
     */
    public Builder requestId(String id) {
      this.requestId = Objects.requireNonNull(id, "requestId");
      return this;
    }

    /**
     * Makes the request skip the result cache: it is neither looked up nor stored. For requests
     * known to be unique (they carry a timestamp or a nonce), whose lookup could never hit and
     * whose answer would only take the place of others. Without a result cache it changes nothing.
     *
     * @return this builder
     */
    public Builder noCache() {
      this.cacheable = false;
      return this;
    }

    /**
     * Builds the options.
     *
     * @return the options
     */
    public RequestOptions build() {
      return new RequestOptions(timeout, priority, unitKey, requestId, cacheable);
    }
  }
}
