package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Bearer tokens, the admin API and rate limiting on a real server with a real client; promotion
 * and rollback through the admin API under concurrent load.
 */
class OipAccessTest {

  static final String ADMIN = "admin-token-0123456789abcdef";
  static final String USER = "user-token-0123456789abcdef";
  static final String INFER = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}";

  @TempDir static Path dir;
  static FileModelRegistry registry;
  static Swell swell;
  static OipServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() {
    registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("a"), 4, 8, 2, 1)).format("onnx")
        .version(SemVer.parse("1.0.0")).build());
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("b"), 4, 8, 2, 2)).format("onnx")
        .version(SemVer.parse("1.1.0")).build());
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    swell = Swell.builder().repository(registry).build();
    server = OipServer.start(swell, registry, OipServer.Limits.defaults(),
        Access.builder().adminToken(ADMIN).inferenceToken(USER).build(), "127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    server.close();
    swell.close();
  }

  record Answer(int status, JsonNode body, HttpResponse<String> raw) {}

  static Answer send(OipServer s, String method, String path, String body, String token) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    if (token != null) {
      r.header("Authorization", "Bearer " + token);
    }
    HttpResponse<String> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.headers().firstValue("content-type").orElse("")).as(path).startsWith("application/json");
    return new Answer(res.statusCode(), JSON.readTree(res.body()), res);
  }

  @Test
  @DisplayName("inference needs its token (or the admin one); health never does; every refusal is a JSON 401")
  void tokens() throws Exception {
    assertThat(send(server, "GET", "/v2/health/ready", null, null).status()).isEqualTo(200);
    assertThat(send(server, "GET", "/v2/health/live", null, "wrong").status()).isEqualTo(200);
    Answer none = send(server, "POST", "/v2/models/fraud/infer", INFER, null);
    assertThat(none.status()).isEqualTo(401);
    assertThat(none.raw().headers().firstValue("www-authenticate")).contains("Bearer");
    assertThat(none.body().get("error").asText()).contains("bearer token");
    assertThat(send(server, "POST", "/v2/models/fraud/infer", INFER, USER + "x").status()).isEqualTo(401);
    assertThat(send(server, "POST", "/v2/models/fraud/infer", INFER, USER.substring(1)).status()).isEqualTo(401);
    assertThat(send(server, "GET", "/v2/models/fraud", null, null).status()).isEqualTo(401);
    assertThat(send(server, "POST", "/v2/models/fraud/infer", INFER, USER).status()).isEqualTo(200);
    assertThat(send(server, "POST", "/v2/models/fraud/infer", INFER, ADMIN).status()).isEqualTo(200);
    // Flink's Triton provider sends "Bearer Bearer <token>" when configured as its documentation shows
    assertThat(send(server, "POST", "/v2/models/fraud/infer", INFER, "Bearer " + USER).status()).isEqualTo(200);
    // the user's token is not the admin's
    assertThat(send(server, "GET", "/admin/models", null, USER).status()).isEqualTo(401);
    assertThat(send(server, "GET", "/admin/models", null, null).status()).isEqualTo(401);
    assertThatThrownBy(() -> Access.builder().adminToken("short")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("16 characters");
    assertThat(Access.builder().adminToken(ADMIN).build().toString()).doesNotContain(ADMIN).contains("admin on");
  }

  @Test
  @DisplayName("the admin API lists, promotes and rolls back; bad requests are 4xx naming the problem")
  void adminApi() throws Exception {
    JsonNode models = send(server, "GET", "/admin/models", null, ADMIN).body().get("models");
    assertThat(models.get(0).get("name").asText()).isEqualTo("fraud");
    assertThat(models.get(0).get("versions").toString()).contains("1.0.0", "1.1.0");
    assertThat(models.get(0).get("aliases").has("production")).isTrue();
    Answer bad = send(server, "PUT", "/admin/models/fraud/aliases/staging", "{\"version\":\"one\"}", ADMIN);
    assertThat(bad.status()).isEqualTo(400);
    assertThat(send(server, "PUT", "/admin/models/fraud/aliases/staging", "{}", ADMIN).status()).isEqualTo(400);
    assertThat(send(server, "PUT", "/admin/models/fraud/aliases/staging", "{\"version\":\"9.9.9\"}", ADMIN).status())
        .isEqualTo(404);
    assertThat(send(server, "PUT", "/admin/models/nosuch/aliases/staging", "{\"version\":\"1.0.0\"}", ADMIN).status())
        .isEqualTo(404);
    assertThat(send(server, "GET", "/admin/models/fraud/aliases/staging", null, ADMIN).status()).isEqualTo(405);
    Answer set = send(server, "PUT", "/admin/models/fraud/aliases/staging", "{\"version\":\"1.1.0\"}", ADMIN);
    assertThat(set.status()).as(set.body().toString()).isEqualTo(200);
    assertThat(registry.alias("fraud", "staging")).contains(SemVer.parse("1.1.0"));
    send(server, "PUT", "/admin/models/fraud/aliases/staging", "{\"version\":\"1.0.0\"}", ADMIN);
    Answer back = send(server, "POST", "/admin/models/fraud/aliases/staging/rollback", null, ADMIN);
    assertThat(back.status()).isEqualTo(200);
    assertThat(back.body().get("version").asText()).isEqualTo("1.1.0");
    assertThat(send(server, "POST", "/admin/models/fraud/aliases/nothing/rollback", null, ADMIN).status())
        .isEqualTo(404);
  }

  @Test
  @DisplayName("promote and roll back through the admin API under load from 4 clients: the served version changes, no request fails")
  void promoteUnderLoad() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    AtomicBoolean running = new AtomicBoolean(true);
    Map<String, AtomicLong> served = new ConcurrentHashMap<>();
    Map<Integer, AtomicLong> statuses = new ConcurrentHashMap<>();
    for (int i = 0; i < 4; i++) {
      pool.submit(() -> {
        while (running.get()) {
          Answer a = send(server, "POST", "/v2/models/fraud/versions/production/infer", INFER, USER);
          statuses.computeIfAbsent(a.status(), k -> new AtomicLong()).incrementAndGet();
          if (a.status() == 200) {
            served.computeIfAbsent(a.body().get("model_version").asText(), k -> new AtomicLong()).incrementAndGet();
          }
        }
        return null;
      });
    }
    try {
      await().atMost(Duration.ofSeconds(10)).until(() -> served.containsKey("1.0.0") && served.get("1.0.0").get() > 50);
      assertThat(send(server, "PUT", "/admin/models/fraud/aliases/production", "{\"version\":\"1.1.0\"}", ADMIN).status())
          .isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> served.containsKey("1.1.0") && served.get("1.1.0").get() > 50);
      long oldBefore = served.get("1.0.0").get();
      assertThat(send(server, "POST", "/admin/models/fraud/aliases/production/rollback", null, ADMIN).status())
          .isEqualTo(200);
      await().atMost(Duration.ofSeconds(30)).until(() -> served.get("1.0.0").get() > oldBefore + 50);
    } finally {
      running.set(false);
      pool.shutdown();
      assertThat(pool.awaitTermination(30, TimeUnit.SECONDS)).isTrue();
    }
    System.out.printf("promote and rollback under load: served %s, statuses %s%n", served, statuses);
    assertThat(statuses.keySet()).as("every request answered 200: %s", statuses).containsExactly(200);
  }

  @Test
  @DisplayName("rate limit: a burst then 429 with Retry-After and a JSON body, per token; health is never limited")
  void rateLimit() throws Exception {
    try (OipServer limited = OipServer.start(swell, registry, OipServer.Limits.defaults(),
        Access.builder().rateLimit(1, 3).build(), "127.0.0.1", 0)) {
      for (int i = 0; i < 3; i++) {
        assertThat(send(limited, "POST", "/v2/models/fraud/infer", INFER, "client-one-token-abcdef").status()).isEqualTo(200);
      }
      Answer refused = send(limited, "POST", "/v2/models/fraud/infer", INFER, "client-one-token-abcdef");
      assertThat(refused.status()).isEqualTo(429);
      assertThat(refused.raw().headers().firstValue("retry-after")).contains("1");
      assertThat(refused.body().get("error").asText()).contains("too many requests");
      assertThat(send(limited, "POST", "/v2/models/fraud/infer", INFER, "client-two-token-abcdef").status())
          .as("another client's bucket").isEqualTo(200);
      for (int i = 0; i < 20; i++) {
        assertThat(send(limited, "GET", "/v2/health/ready", null, "client-one-token-abcdef").status()).isEqualTo(200);
      }
    }
  }

  @Test
  @DisplayName("ServerMain reads tokens from files or variables and refuses a malformed rate limit")
  void environment(@TempDir Path tmp) throws Exception {
    Path secret = Files.writeString(tmp.resolve("admin"), "  " + ADMIN + "\n");
    Access a = ServerMain.access(Map.of("SWELL_ADMIN_TOKEN_FILE", secret.toString(), "SWELL_RATE_LIMIT", "100/200"));
    assertThat(a.isAdmin("Bearer " + ADMIN)).isTrue();
    assertThat(a.mayInfer(null)).isTrue();
    assertThat(a.toString()).contains("100.0/s, burst 200");
    assertThatThrownBy(() -> ServerMain.access(Map.of("SWELL_RATE_LIMIT", "fast"))).hasMessageContaining("PER_SECOND");
    assertThatThrownBy(() -> ServerMain.access(Map.of("SWELL_ADMIN_TOKEN_FILE", tmp.resolve("none").toString())))
        .hasMessageContaining("cannot be read");
  }
}
