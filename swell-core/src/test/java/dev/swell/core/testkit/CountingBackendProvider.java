package dev.swell.core.testkit;

import dev.swell.api.NamedTensors;
import dev.swell.api.Signature;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.BackendProvider;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import java.util.Set;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Wraps any backend provider and counts the {@code run} calls that reach its models, so a test can
 * prove that invalid input never reached the backend.
 */
public final class CountingBackendProvider implements BackendProvider {

  private final BackendProvider delegate;
  private final AtomicLong runs = new AtomicLong();
  private final AtomicLong loads = new AtomicLong();

  /**
   * Wraps a provider.
   *
   * @param delegate the provider whose models are counted
   */
  public CountingBackendProvider(BackendProvider delegate) {
    this.delegate = delegate;
  }

  /**
   * Returns the number of models the wrapped backend loaded.
   *
   * @return the count
   */
  public long loads() {
    return loads.get();
  }

  /**
   * Returns the number of calls that reached the wrapped backend.
   *
   * @return the count
   */
  public long runs() {
    return runs.get();
  }

  @Override
  public String name() {
    return delegate.name();
  }

  @Override
  public Set<String> formats() {
    return delegate.formats();
  }

  @Override
  public boolean isAvailable() {
    return delegate.isAvailable();
  }

  @Override
  public Backend create(BackendConfig config) {
    Backend b = delegate.create(config);
    return new Backend() {
      @Override
      public String name() {
        return b.name();
      }

      @Override
      public LoadedModel load(ModelArtifact artifact) {
        LoadedModel m = b.load(artifact);
        loads.incrementAndGet();
        return new LoadedModel() {
          @Override
          public Signature signature() {
            return m.signature();
          }

          @Override
          public String device() {
            return m.device();
          }

          @Override
          public NamedTensors run(NamedTensors inputs) {
            runs.incrementAndGet();
            return m.run(inputs);
          }

          @Override
          public NamedTensors run(NamedTensors inputs, dev.swell.api.spi.RunContext context) {
            runs.incrementAndGet();
            return m.run(inputs, context);
          }

          @Override
          public void close() {
            m.close();
          }
        };
      }

      @Override
      public void close() {
        b.close();
      }
    };
  }
}
