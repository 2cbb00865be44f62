package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Operations on a real server: Prometheus metrics, request logs, the OpenAPI description against the routes. */
class OipOperationsTest {

  static final String ADMIN = "admin-token-0123456789abcdef";
  static final String INFER = "{\"id\":\"req-42\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],"
      + "\"data\":[1,2,3,4]}]}";

  @TempDir static Path dir;
  static Swell swell;
  static OipServer server;
  static PrometheusMeterRegistry prometheus;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("a"), 4, 8, 2, 1)).format("onnx")
        .version(SemVer.parse("1.0.0")).build());
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    swell = Swell.builder().repository(registry).meterRegistry(prometheus).build();
    server = OipServer.builder(swell, registry).host("127.0.0.1").port(0).metrics(prometheus).requestLog(1)
        .access(Access.builder().adminToken(ADMIN).build()).start();
  }

  @AfterAll
  static void stop() {
    server.close();
    swell.close();
  }

  static HttpResponse<String> send(String method, String path, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Authorization", "Bearer " + ADMIN);
    return HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
  }

  @Test
  @DisplayName("/metrics: a latency histogram by route (never by model name), and Swell's own meters")
  void metrics() throws Exception {
    for (int i = 0; i < 5; i++) {
      assertThat(send("POST", "/v2/models/fraud/versions/production/infer", INFER).statusCode()).isEqualTo(200);
    }
    send("POST", "/v2/models/nosuch-model-xyz/infer", INFER);
    HttpResponse<String> m = send("GET", "/metrics", null);
    assertThat(m.statusCode()).isEqualTo(200);
    assertThat(m.headers().firstValue("content-type").orElse("")).startsWith("text/plain");
    String text = m.body();
    assertThat(text).contains("swell_http_server_requests_seconds_bucket{")
        .contains("route=\"/v2/models/{model}/versions/{version}/infer\"")
        .contains("status=\"200\"").contains("status=\"404\"")
        .as("hostile model names stay out of the labels").doesNotContain("nosuch-model-xyz");
    assertThat(text).as("Swell's meters in the same registry").contains("swell_predict");
  }

  @Test
  @DisplayName("request logs: one JSON line per request with model, served version, status, latency and id")
  void requestLog() throws Exception {
    PrintStream err = System.err;
    ByteArrayOutputStream captured = new ByteArrayOutputStream();
    System.setErr(new PrintStream(captured, true, StandardCharsets.UTF_8));
    try {
      assertThat(send("POST", "/v2/models/fraud/versions/production/infer", INFER.replace("req-42", "req-log-7"))
          .statusCode()).isEqualTo(200);
      // the line is written once the answer is, which the client may read first (and an earlier
      // test's last line may come in too)
      await().atMost(Duration.ofSeconds(5)).until(() -> captured.toString(StandardCharsets.UTF_8).contains("req-log-7"));
    } finally {
      System.setErr(err);
    }
    String line = captured.toString(StandardCharsets.UTF_8).lines().filter(l -> l.contains("requests - {") && l.contains("req-log-7"))
        .findFirst().orElseThrow(() -> new AssertionError("no request log line in: " + captured));
    JsonNode json = JSON.readTree(line.substring(line.indexOf('{')));
    assertThat(json.get("model").asText()).isEqualTo("fraud");
    assertThat(json.get("version").asText()).isEqualTo("1.0.0");
    assertThat(json.get("status").asInt()).isEqualTo(200);
    assertThat(json.get("id").asText()).isEqualTo("req-log-7");
    assertThat(json.get("route").asText()).isEqualTo("/v2/models/{model}/versions/{version}/infer");
    assertThat(json.get("latency_ms").asDouble()).isPositive();
    assertThat(json.has("time")).isTrue();
  }

  @Test
  @DisplayName("/openapi.json describes exactly the routes the server has, and each of them is served")
  void openApi() throws Exception {
    HttpResponse<String> r = send("GET", "/openapi.json", null);
    assertThat(r.statusCode()).isEqualTo(200);
    JsonNode paths = JSON.readTree(r.body()).get("paths");
    List<String> described = new ArrayList<>();
    for (Iterator<Map.Entry<String, JsonNode>> it = paths.fields(); it.hasNext(); ) {
      Map.Entry<String, JsonNode> p = it.next();
      for (String method : new String[] {"get", "put", "post", "delete", "patch"}) {
        if (p.getValue().has(method)) {
          described.add(method.toUpperCase(java.util.Locale.ROOT) + " " + p.getKey());
        }
      }
    }
    assertThat(new TreeSet<>(described)).isEqualTo(new TreeSet<>(OipServer.ROUTES));
    for (String route : OipServer.ROUTES) {
      String method = route.substring(0, route.indexOf(' '));
      String path = route.substring(route.indexOf(' ') + 1).replace("{model}", "fraud").replace("{version}", "1.0.0")
          .replace("{alias}", "canary").replace("{key}", "none-here");
      String body = path.endsWith("/infer") ? INFER : path.endsWith("/aliases/canary") ? "{\"version\":\"1.0.0\"}" : null;
      HttpResponse<String> answer = send(method, path, body);
      assertThat(answer.statusCode()).as("%s: %s", route, answer.body()).isNotEqualTo(405);
      assertThat(answer.body()).as("%s is routed (a 404 names what is missing, not the route)", route)
          .doesNotContain("no route").doesNotContain("no admin route");
      // the alias set just before is what the rollback route then finds
    }
    HttpResponse<String> unknown = send("GET", "/v2/models/fraud/frobnicate", null);
    assertThat(unknown.statusCode()).isEqualTo(404);
    assertThat(unknown.body()).contains("/openapi.json");
  }
}
