package dev.swell.api.spi;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * Settings handed to a {@link BackendProvider} when it creates a {@link Backend}: thread counts, an
 * ordered execution-provider preference, and backend-specific options by name.
 *
 * <p>An immutable value; build one with {@link #builder()} or {@link #builder(BackendConfig)}.
 *
 * <pre>{@code
 * BackendConfig config = BackendConfig.builder()
 *     .intraOpThreads(2)
 *     .executionProviders(List.of("cuda", "cpu"))
 *     .option("onnx.optimization", "all")
 *     .build();
 * }</pre>
 */
public final class BackendConfig {

  /** Threads inside one operator: 0 lets the backend choose. */
  public static final int DEFAULT_INTRA_OP_THREADS = 0;
  /** Threads across operators: 0 lets the backend choose. */
  public static final int DEFAULT_INTER_OP_THREADS = 0;
  /** Use an accelerator when one is present, the CPU otherwise. */
  public static final List<String> DEFAULT_EXECUTION_PROVIDERS = List.of("cuda", "cpu");

  private static final BackendConfig DEFAULTS = new Builder().build();

  private final int intraOpThreads;
  private final int interOpThreads;
  private final List<String> executionProviders;
  private final Map<String, String> options;

  private BackendConfig(Builder b) {
    this.intraOpThreads = b.intraOpThreads;
    this.interOpThreads = b.interOpThreads;
    this.executionProviders = List.copyOf(b.executionProviders);
    this.options = Map.copyOf(b.options);
  }

  /**
   * Returns the defaults: backend-chosen thread counts, CUDA then CPU, no options.
   *
   * @return the default configuration
   */
  public static BackendConfig defaults() {
    return DEFAULTS;
  }

  /**
   * Starts a configuration from the defaults.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Starts a configuration from another one.
   *
   * @param base the configuration to start from
   * @return a builder holding its values
   */
  public static Builder builder(BackendConfig base) {
    Builder b = new Builder();
    b.intraOpThreads = base.intraOpThreads;
    b.interOpThreads = base.interOpThreads;
    b.executionProviders = base.executionProviders;
    b.options.putAll(base.options);
    return b;
  }

  /**
   * Returns the number of threads used inside one operator.
   *
   * @return the count, 0 for the backend's choice
   */
  public int intraOpThreads() {
    return intraOpThreads;
  }

  /**
   * Returns the number of threads used across operators.
   *
   * @return the count, 0 for the backend's choice
   */
  public int interOpThreads() {
    return interOpThreads;
  }

  /**
   * Returns the execution providers to try, in order of preference, such as {@code [cuda, cpu]}.
   * A backend uses the first it has and logs which it got.
   *
   * @return an unmodifiable list of lower-case names
   */
  public List<String> executionProviders() {
    return executionProviders;
  }

  /**
   * Returns a backend-specific option.
   *
   * @param key the option's name, such as {@code onnx.optimization}
   * @return its value, or empty
   */
  public Optional<String> option(String key) {
    return Optional.ofNullable(options.get(key));
  }

  /**
   * Returns every backend-specific option.
   *
   * @return an unmodifiable map
   */
  public Map<String, String> options() {
    return options;
  }

  @Override
  public boolean equals(Object o) {
    if (!(o instanceof BackendConfig)) {
      return false;
    }
    BackendConfig c = (BackendConfig) o;
    return intraOpThreads == c.intraOpThreads
        && interOpThreads == c.interOpThreads
        && executionProviders.equals(c.executionProviders)
        && options.equals(c.options);
  }

  @Override
  public int hashCode() {
    return Objects.hash(intraOpThreads, interOpThreads, executionProviders, options);
  }

  @Override
  public String toString() {
    return "BackendConfig[intraOpThreads=" + intraOpThreads + ", interOpThreads=" + interOpThreads
        + ", executionProviders=" + executionProviders + ", options=" + new TreeMap<>(options) + "]";
  }

  /** Builds a {@link BackendConfig}. Not thread-safe. */
  public static final class Builder {
    private int intraOpThreads = DEFAULT_INTRA_OP_THREADS;
    private int interOpThreads = DEFAULT_INTER_OP_THREADS;
    private List<String> executionProviders = DEFAULT_EXECUTION_PROVIDERS;
    private final Map<String, String> options = new TreeMap<>();

    private Builder() {}

    /**
     * Sets the threads used inside one operator.
     *
     * @param threads at least 0; 0 lets the backend choose
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder intraOpThreads(int threads) {
      if (threads < 0) {
        throw new IllegalArgumentException("intraOpThreads must be >= 0, was " + threads);
      }
      this.intraOpThreads = threads;
      return this;
    }

    /**
     * Sets the threads used across operators.
     *
     * @param threads at least 0; 0 lets the backend choose
     * @return this builder
     * @throws IllegalArgumentException if negative
     */
    public Builder interOpThreads(int threads) {
      if (threads < 0) {
        throw new IllegalArgumentException("interOpThreads must be >= 0, was " + threads);
      }
      this.interOpThreads = threads;
      return this;
    }

    /**
     * Sets the execution providers to try, in order, such as {@code [cuda, cpu]}.
     *
     * @param providers a non-empty list of names; they are lower-cased
     * @return this builder
     * @throws IllegalArgumentException if the list is empty or has a blank name
     */
    public Builder executionProviders(List<String> providers) {
      if (providers.isEmpty()) {
        throw new IllegalArgumentException("executionProviders must not be empty");
      }
      for (String p : providers) {
        if (p == null || p.isBlank()) {
          throw new IllegalArgumentException("executionProviders has a blank name: " + providers);
        }
      }
      this.executionProviders =
          providers.stream().map(p -> p.strip().toLowerCase(java.util.Locale.ROOT)).toList();
      return this;
    }

    /**
     * Sets a backend-specific option.
     *
     * @param key the option's name
     * @param value its value
     * @return this builder
     * @throws NullPointerException if an argument is null
     */
    public Builder option(String key, String value) {
      options.put(Objects.requireNonNull(key, "key"), Objects.requireNonNull(value, "value"));
      return this;
    }

    /**
     * Returns the configuration. The builder may be used again.
     *
     * @return the configuration
     */
    public BackendConfig build() {
      return new BackendConfig(this);
    }
  }
}
