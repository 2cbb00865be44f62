package dev.swell.samples.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import dev.swell.samples.quickstart.Quickstart;
import java.time.Duration;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The HTTP sample on a real server and a real client, with MiniLM from a file registry. */
class EmbeddingServiceTest {

  @TempDir Path dir;

  private final ObjectMapper json = new ObjectMapper();
  private final HttpClient client = HttpClient.newHttpClient();
  private FileModelRegistry registry;
  private EmbeddingService service;

  @BeforeEach
  void start() throws Exception {
    registry = FileModelRegistry.open(dir.resolve("registry"));
    Path model = Quickstart.extract(Quickstart.MODEL_RESOURCE);
    registry.publish(PublishRequest.builder("minilm").file(model).version("1.0.0").build());
    registry.publish(PublishRequest.builder("minilm").file(model).version("1.1.0").build());
    registry.promote("minilm", SemVer.parse("1.0.0"), "production");
    service = new EmbeddingService(registry, "minilm", "production", Quickstart.tokenizer(), 0, 4);
  }

  @AfterEach
  void stop() {
    service.close();
  }

  private HttpResponse<String> post(String body) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + "/v1/embed"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  private HttpResponse<String> get(String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + service.port() + path)).build(),
        HttpResponse.BodyHandlers.ofString());
  }

  private static double dot(JsonNode a, JsonNode b) {
    double s = 0;
    for (int i = 0; i < a.size(); i++) {
      s += a.get(i).asDouble() * b.get(i).asDouble();
    }
    return s;
  }

  @Test
  @DisplayName("POST /v1/embed answers unit vectors that rank a paraphrase above an unrelated sentence, naming the version")
  void embeds() throws Exception {
    HttpResponse<String> r = post("{\"texts\": [\"The cat sits on the mat.\", \"A kitten is resting on a rug.\","
        + " \"Stock markets fell sharply on Monday.\"]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = json.readTree(r.body());
    assertThat(body.get("model").asText()).isEqualTo("minilm");
    assertThat(body.get("version").asText()).isEqualTo("1.0.0");
    assertThat(body.get("dimensions").asInt()).isEqualTo(384);
    JsonNode e = body.get("embeddings");
    assertThat(e).hasSize(3);
    assertThat(dot(e.get(0), e.get(0))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    assertThat(dot(e.get(0), e.get(1))).isGreaterThan(dot(e.get(0), e.get(2)) + 0.3);
  }

  @Test
  @DisplayName("bad requests get 400 or 405 with a JSON error saying what was wrong")
  void badRequests() throws Exception {
    HttpResponse<String> notJson = post("texts: cat");
    assertThat(notJson.statusCode()).isEqualTo(400);
    assertThat(json.readTree(notJson.body()).get("error").asText()).startsWith("the body is not JSON");
    HttpResponse<String> noTexts = post("{\"sentences\": [\"a\"]}");
    assertThat(noTexts.statusCode()).isEqualTo(400);
    assertThat(json.readTree(noTexts.body()).get("error").asText()).contains("expected {\"texts\"");
    assertThat(post("{\"texts\": []}").body()).contains("expected 1 to 64 texts, got 0");
    assertThat(post("{\"texts\": [\"a\", 3]}").body()).contains("every text must be a string, got 3");
    StringBuilder many = new StringBuilder("{\"texts\": [");
    for (int i = 0; i < 65; i++) {
      many.append(i == 0 ? "" : ",").append("\"x\"");
    }
    assertThat(post(many.append("]}").toString()).body()).contains("got 65");
    assertThat(get("/v1/embed").statusCode()).isEqualTo(405);
    assertThat(post("{\"texts\": [\"still serving\"]}").statusCode()).isEqualTo(200);
  }

  @Test
  @DisplayName("GET /health is 200 and names the version; GET /metrics has Swell's meters in Prometheus format")
  void healthAndMetrics() throws Exception {
    post("{\"texts\": [\"warm\"]}");
    HttpResponse<String> health = get("/health");
    assertThat(health.statusCode()).isEqualTo(200);
    JsonNode h = json.readTree(health.body());
    assertThat(h.get("ready").asBoolean()).isTrue();
    assertThat(h.get("models").get(0).get("version").asText()).isEqualTo("1.0.0");
    assertThat(h.get("models").get(0).get("resident").asBoolean()).isTrue();
    HttpResponse<String> metrics = get("/metrics");
    assertThat(metrics.statusCode()).isEqualTo(200);
    assertThat(metrics.body())
        .containsPattern("swell_predictions_seconds_count\\{[^}]*model=\"minilm\"[^}]*outcome=\"success\"[^}]*\\} 1")
        .contains("swell_models_resident")
        .containsPattern("swell_model_serving\\{[^}]*version=\"1.0.0\"");
  }

  @Test
  @DisplayName("4 clients post while the alias moves 6 times: every response is 200, from the version of the moment")
  void followsTheAliasWithoutErrors() throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    AtomicLong ok = new AtomicLong();
    List<String> failures = new CopyOnWriteArrayList<>();
    Set<String> versions = ConcurrentHashMap.newKeySet();
    ExecutorService pool = Executors.newFixedThreadPool(4);
    List<Future<?>> clients = new ArrayList<>();
    for (int c = 0; c < 4; c++) {
      clients.add(pool.submit(() -> {
        while (!stop.get()) {
          try {
            HttpResponse<String> r = post("{\"texts\": [\"a cat\", \"a kitten on a rug\"]}");
            if (r.statusCode() != 200) {
              failures.add(r.statusCode() + " " + r.body());
            } else {
              versions.add(json.readTree(r.body()).get("version").asText());
              ok.incrementAndGet();
            }
          } catch (Exception e) {
            failures.add(e.toString());
          }
        }
        return null;
      }));
    }
    for (int move = 0; move < 6; move++) {
      String target = move % 2 == 0 ? "1.1.0" : "1.0.0";
      registry.promote("minilm", SemVer.parse(target), "production");
      await("move to " + target + " followed").atMost(Duration.ofSeconds(15)).pollInterval(Duration.ofMillis(10))
          .until(() -> json.readTree(get("/health").body()).get("models").get(0).get("version").asText().equals(target));
      Thread.sleep(200);
    }
    stop.set(true);
    for (Future<?> f : clients) {
      f.get(30, TimeUnit.SECONDS);
    }
    pool.shutdown();
    System.out.printf("http sample: %d responses 200, %d failed, versions %s, over 6 alias moves%n", ok.get(),
        failures.size(), versions);
    assertThat(failures).isEmpty();
    assertThat(versions).containsExactlyInAnyOrder("1.0.0", "1.1.0");
    assertThat(ok.get()).isGreaterThan(20);
  }
}
