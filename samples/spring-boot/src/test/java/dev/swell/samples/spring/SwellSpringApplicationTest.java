package dev.swell.samples.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.Manifest;
import dev.swell.registry.PublishRequest;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.springframework.boot.test.autoconfigure.actuate.observability.AutoConfigureObservability;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The Spring Boot sample as it runs: a real server on a random port, a real HTTP client, a real
 * registry folder and ONNX model. It starts with the model not yet published: readiness is DOWN
 * and liveness UP; once a version is published and promoted, readiness goes UP after its warm-up,
 * predictions are served, and Swell's meters are in {@code /actuator/prometheus}.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT)
@AutoConfigureObservability(tracing = false) // Boot's tests turn metrics export off unless asked
class SwellSpringApplicationTest {

  private static final Path WORK;

  static {
    try {
      WORK = Files.createTempDirectory("swell-spring");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  @DynamicPropertySource
  static void swell(DynamicPropertyRegistry properties) {
    properties.add("swell.registry", () -> WORK.resolve("registry").toString());
    properties.add("swell.model", () -> "fraud");
    properties.add("swell.warmup-runs", () -> "2");
    properties.add("swell.retry-interval", () -> "100ms");
  }

  @LocalServerPort int port;

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

  private HttpResponse<String> get(String path) {
    return send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).GET());
  }

  private HttpResponse<String> post(String path, String json) {
    return send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path))
        .header("Content-Type", "application/json").POST(HttpRequest.BodyPublishers.ofString(json)));
  }

  private HttpResponse<String> send(HttpRequest.Builder request) {
    try {
      return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      throw new IllegalStateException(e);
    }
  }

  @Test
  @DisplayName("readiness DOWN until the first version is warm, liveness UP throughout; predictions; meters in Actuator")
  void readinessFollowsTheModel() {
    HttpResponse<String> notReady = get("/actuator/health/readiness");
    assertThat(notReady.statusCode()).as(notReady.body()).isEqualTo(503);
    assertThat(notReady.body()).contains("\"DOWN\"");
    assertThat(get("/actuator/health/liveness").statusCode()).isEqualTo(200);
    assertThat(post("/predict", "{\"x\": [0.1, 3.2, 0.0, 1.5]}").statusCode()).as("no model yet").isEqualTo(503);

    FileModelRegistry registry = FileModelRegistry.open(WORK.resolve("registry"));
    Path model = OnnxModels.mlp(WORK.resolve("model"), 4, 8, 2, 7);
    Manifest m = registry.publish(PublishRequest.builder("fraud").file(model).version("1.0.0").build());
    assertThat(get("/actuator/health/readiness").statusCode()).as("published, not promoted").isEqualTo(503);
    registry.promote("fraud", m.version(), "production");

    List<Integer> liveness = new ArrayList<>();
    await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(20)).until(() -> {
      liveness.add(get("/actuator/health/liveness").statusCode());
      return get("/actuator/health/readiness").statusCode() == 200;
    });
    assertThat(liveness).as("liveness while the model loaded").isNotEmpty().containsOnly(200);
    assertThat(get("/actuator/health/readiness").body()).contains("\"version\":\"1.0.0\"");

    HttpResponse<String> answer = post("/predict", "{\"x\": [0.1, 3.2, 0.0, 1.5]}");
    assertThat(answer.statusCode()).as(answer.body()).isEqualTo(200);
    assertThat(answer.body()).contains("\"model\":\"fraud\"", "\"version\":\"1.0.0\"", "\"y\":[");
    HttpResponse<String> wrong = post("/predict", "{\"x\": [1.0, 2.0]}");
    assertThat(wrong.statusCode()).as(wrong.body()).isEqualTo(400);
    assertThat(wrong.body()).contains("input 'x'");

    HttpResponse<String> prometheus = get("/actuator/prometheus");
    assertThat(prometheus.statusCode()).isEqualTo(200);
    assertThat(prometheus.body()).containsPattern("swell_predictions_seconds_count\\{[^}]*model=\"fraud\"[^}]*\\} [1-9]")
        .contains("swell_model_serving");
  }
}
