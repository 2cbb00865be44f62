package dev.swell.samples.spring;

import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import java.util.concurrent.atomic.AtomicReference;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.actuate.health.Health;
import org.springframework.boot.actuate.health.HealthIndicator;
import org.springframework.context.SmartLifecycle;
import org.springframework.stereotype.Component;

/**
 * Loads the served model off the startup path and holds it: until its first version is loaded
 * and warmed, this health indicator (in the readiness group only) is DOWN, so no traffic is
 * routed here, while liveness stays UP (a slow or missing model is not a reason to restart the
 * process). A missing model or alias is retried every {@code swell.retry-interval}; once loaded,
 * the predictor follows the alias by itself.
 */
@Component("swellModelHealthIndicator") // the "swellModel" health indicator
public class ModelHolder implements HealthIndicator, SmartLifecycle {

  private static final Logger log = LoggerFactory.getLogger(ModelHolder.class);

  private final Swell swell;
  private final SwellProperties properties;
  private final AtomicReference<Predictor> predictor = new AtomicReference<>();
  private volatile String lastError = "not loaded yet";
  private volatile boolean running;
  private Thread loader;

  /**
   * Creates the holder.
   *
   * @param swell the runtime
   * @param properties swell.*
   */
  public ModelHolder(Swell swell, SwellProperties properties) {
    this.swell = swell;
    this.properties = properties;
  }

  /**
   * Returns the predictor once loaded.
   *
   * @return the predictor
   * @throws IllegalStateException before the first load (readiness is DOWN then)
   */
  public Predictor predictor() {
    Predictor p = predictor.get();
    if (p == null) {
      throw new IllegalStateException("model '" + properties.model() + "' is not loaded yet: " + lastError);
    }
    return p;
  }

  @Override
  public Health health() {
    Predictor p = predictor.get();
    if (p == null) {
      return Health.down().withDetail("model", properties.model()).withDetail("alias", properties.alias())
          .withDetail("reason", lastError).build();
    }
    return swell.health().models().stream().filter(m -> m.model().equals(properties.model())).findFirst()
        .map(m -> Health.up().withDetail("model", m.model()).withDetail("version", m.version())
            .withDetail("wanted", String.valueOf(m.wanted())).build())
        .orElse(Health.up().withDetail("model", properties.model()).build());
  }

  @Override
  public void start() {
    running = true;
    loader = new Thread(this::load, "swell-first-load");
    loader.setDaemon(true);
    loader.start();
  }

  private void load() {
    while (running && predictor.get() == null) {
      try {
        predictor.set(swell.predictor(properties.model(), VersionSelector.alias(properties.alias())));
        log.info("model '{}' ({}) is loaded and warm: ready", properties.model(), properties.alias());
      } catch (RuntimeException e) {
        if (!String.valueOf(e.getMessage()).equals(lastError)) { // once per distinct reason, not per retry
          log.info("model '{}' not loadable yet ({}); retrying every {}", properties.model(), e.getMessage(),
              properties.retryInterval());
        }
        lastError = String.valueOf(e.getMessage());
        try {
          Thread.sleep(properties.retryInterval().toMillis()); // a retry pace, not a synchronisation
        } catch (InterruptedException stop) {
          return;
        }
      }
    }
  }

  @Override
  public void stop() {
    running = false;
    if (loader != null) {
      loader.interrupt();
    }
  }

  @Override
  public boolean isRunning() {
    return running;
  }
}
