package dev.swell.samples.spring;

import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import org.springframework.context.annotation.Bean;
import org.springframework.context.annotation.Configuration;

/**
 * The Swell runtime as a bean. It is a Micrometer {@code MeterBinder}, so Actuator binds it to
 * its registry by itself; Spring closes it after the web server has finished its graceful
 * shutdown, so running requests drain first.
 */
@Configuration(proxyBeanMethods = false)
public class SwellConfiguration {

  /**
   * Opens the registry folder.
   *
   * @param properties swell.*
   * @return the registry
   */
  @Bean
  public FileModelRegistry registry(SwellProperties properties) {
    return FileModelRegistry.open(properties.registry());
  }

  /**
   * Starts the runtime on the registry.
   *
   * @param properties swell.*
   * @param registry the registry
   * @return the runtime, closed with the context
   */
  @Bean(destroyMethod = "close")
  public Swell swell(SwellProperties properties, FileModelRegistry registry) {
    return Swell.builder().repository(registry).warmupRuns(properties.warmupRuns()).build();
  }
}
