package dev.swell.samples.spring;

import org.springframework.boot.SpringApplication;
import org.springframework.boot.autoconfigure.SpringBootApplication;
import org.springframework.boot.context.properties.EnableConfigurationProperties;

/**
 * A Spring Boot service that serves one model of a Swell registry: {@code POST /predict}, with
 * readiness held DOWN until the version the alias names is loaded and warmed, Swell's meters in
 * Actuator ({@code /actuator/prometheus}) and a graceful shutdown that drains requests before Swell
 * closes.
 */
@SpringBootApplication
@EnableConfigurationProperties(SwellProperties.class)
public class SwellSpringApplication {

  /**
   * Starts the service.
   *
   * @param args Spring Boot's arguments, such as {@code --swell.registry=/srv/models}
   */
  public static void main(String[] args) {
    SpringApplication.run(SwellSpringApplication.class, args);
  }
}
