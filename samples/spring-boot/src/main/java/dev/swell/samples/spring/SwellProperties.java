package dev.swell.samples.spring;

import java.nio.file.Path;
import java.time.Duration;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * Swell's settings from {@code application.yml} ({@code swell.*}).
 *
 * @param registry the registry folder
 * @param model the model to serve
 * @param alias the alias it follows (a promote or rollback is swapped in while serving)
 * @param warmupRuns warm-up calls before a version serves
 * @param retryInterval how often the first load is retried while the model or alias is missing
 */
@ConfigurationProperties("swell")
public record SwellProperties(Path registry, String model, @DefaultValue("production") String alias,
    @DefaultValue("3") int warmupRuns, @DefaultValue("1s") Duration retryInterval) {

  /** Checks what a service cannot start without. */
  public SwellProperties {
    if (registry == null || model == null || model.isBlank()) {
      throw new IllegalArgumentException("set swell.registry (a folder) and swell.model (a model name)");
    }
  }
}
