package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The Open Inference Protocol routes on a real server (Jetty, a real port) with a real client (the
 * JDK's HttpClient, and a raw socket where a client must misbehave), against a registry holding two
 * versions of an ONNX MLP with {@code production} on the first.
 */
class OipConformanceTest {

  @TempDir static Path dir;
  static Swell swell;
  static FileModelRegistry registry;
  static OipServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();
  static float[] expectedV1;
  static float[] expectedV2;
  static final float[] X = {0.5f, -1.25f, 2.0f, 0.0f};

  @BeforeAll
  static void start() throws Exception {
    registry = FileModelRegistry.open(dir.resolve("registry"));
    Path v1 = OnnxModels.mlp(dir.resolve("m1"), 4, 8, 2, 1);
    Path v2 = OnnxModels.mlp(dir.resolve("m2"), 4, 8, 2, 2);
    registry.publish(PublishRequest.builder("fraud").file(v1).format("onnx").version(SemVer.parse("1.0.0")).build());
    registry.publish(PublishRequest.builder("fraud").file(v2).format("onnx").version(SemVer.parse("1.1.0")).build());
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    swell = Swell.builder().repository(registry).build();
    try (Predictor a = swell.load(v1); Predictor b = swell.load(v2)) {
      expectedV1 = a.predict(NamedTensors.of("x", Tensor.of(X, 1, 4))).output("y").toFloatArray();
      expectedV2 = b.predict(NamedTensors.of("x", Tensor.of(X, 1, 4))).output("y").toFloatArray();
    }
    server = OipServer.start(swell, registry, new OipServer.Limits(64 << 10, 4 << 10,
        java.time.Duration.ofSeconds(5), java.time.Duration.ofSeconds(5)), "127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    server.close();
    swell.close();
  }

  record Answer(int status, String contentType, JsonNode body) {}

  static Answer send(String method, String path, String body) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path));
    r.method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body));
    HttpResponse<String> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    String type = res.headers().firstValue("content-type").orElse("");
    return new Answer(res.statusCode(), type, res.body().isEmpty() ? null : JSON.readTree(res.body()));
  }

  static String inferBody(String datatype, String shape, String data) {
    return "{\"id\":\"r-1\",\"inputs\":[{\"name\":\"x\",\"datatype\":\"" + datatype + "\",\"shape\":" + shape
        + ",\"data\":" + data + "}]}";
  }

  static float[] floats(JsonNode data) {
    float[] f = new float[data.size()];
    for (int i = 0; i < f.length; i++) {
      f[i] = (float) data.get(i).asDouble();
    }
    return f;
  }

  @Test
  @DisplayName("health, server metadata, model metadata (variable batch as -1) and model readiness")
  void metadata() throws Exception {
    assertThat(send("GET", "/v2/health/live", null).body().get("live").asBoolean()).isTrue();
    Answer ready = send("GET", "/v2/health/ready", null);
    assertThat(ready.status()).isEqualTo(200);
    assertThat(ready.contentType()).startsWith("application/json");
    Answer v2 = send("GET", "/v2", null);
    assertThat(v2.body().get("name").asText()).isEqualTo("swell");
    assertThat(v2.body().get("version").asText()).isEqualTo(Swell.version());
    Answer meta = send("GET", "/v2/models/fraud", null);
    assertThat(meta.status()).isEqualTo(200);
    assertThat(meta.body().get("platform").asText()).isEqualTo("onnx_onnxv1");
    assertThat(meta.body().get("versions").toString()).isEqualTo("[\"1.1.0\",\"1.0.0\"]");
    JsonNode input = meta.body().get("inputs").get(0);
    assertThat(input.get("name").asText()).isEqualTo("x");
    assertThat(input.get("datatype").asText()).isEqualTo("FP32");
    assertThat(input.get("shape").toString()).isEqualTo("[-1,4]");
    assertThat(meta.body().get("outputs").get(0).get("shape").toString()).isEqualTo("[-1,2]");
    Answer modelReady = send("GET", "/v2/models/fraud/versions/production/ready", null);
    assertThat(modelReady.status()).isEqualTo(200);
    assertThat(modelReady.body().get("ready").asBoolean()).isTrue();
  }

  @Test
  @DisplayName("infer: flat and nested data, by alias, exact version and latest; model_version says which served; id echoed")
  void infer() throws Exception {
    String flat = inferBody("FP32", "[1,4]", "[0.5,-1.25,2.0,0.0]");
    Answer byAlias = send("POST", "/v2/models/fraud/versions/production/infer", flat);
    assertThat(byAlias.status()).as(String.valueOf(byAlias.body())).isEqualTo(200);
    assertThat(byAlias.body().get("model_name").asText()).isEqualTo("fraud");
    assertThat(byAlias.body().get("model_version").asText()).isEqualTo("1.0.0");
    assertThat(byAlias.body().get("id").asText()).isEqualTo("r-1");
    JsonNode y = byAlias.body().get("outputs").get(0);
    assertThat(y.get("name").asText()).isEqualTo("y");
    assertThat(y.get("datatype").asText()).isEqualTo("FP32");
    assertThat(y.get("shape").toString()).isEqualTo("[1,2]");
    assertThat(floats(y.get("data"))).as("bit for bit, as in process").containsExactly(expectedV1);

    String nested = inferBody("FP32", "[1,4]", "[[0.5,-1.25,2.0,0.0]]");
    Answer exact = send("POST", "/v2/models/fraud/versions/1.1.0/infer", nested);
    assertThat(exact.body().get("model_version").asText()).isEqualTo("1.1.0");
    assertThat(floats(exact.body().get("outputs").get(0).get("data"))).containsExactly(expectedV2);
    Answer latest = send("POST", "/v2/models/fraud/infer", flat);
    assertThat(latest.body().get("model_version").asText()).isEqualTo("1.1.0");
  }

  @Test
  @DisplayName("bad input answers 4xx with a JSON error, never a 500 or an HTML page")
  void errors() throws Exception {
    String infer = "/v2/models/fraud/infer";
    assertError(send("POST", infer, "{not json"), 400, "not JSON");
    assertError(send("POST", infer, inferBody("FP32", "[1,3]", "[1,2,3]")), 400, "");
    assertError(send("POST", infer, inferBody("FP32", "[1,4]", "[1,2,3]")), 400, "holds 4 elements");
    assertError(send("POST", infer, inferBody("UINT32", "[1,4]", "[1,2,3,4]")), 400, "UINT32 is not supported");
    assertError(send("POST", infer, inferBody("FP64", "[1,4]", "[1,2,3,4]")), 400, "");
    assertError(send("POST", infer, inferBody("QUATERNION", "[1,4]", "[1,2,3,4]")), 400, "unknown datatype");
    assertError(send("POST", infer, inferBody("FP32", "[1,4]", "[1,\"a\",3,4]")), 400, "not a number");
    assertError(send("POST", infer, inferBody("FP32", "[1,-4]", "[1,2,3,4]")), 400, "non-negative");
    assertError(send("POST", "/v2/models/nosuch/infer", inferBody("FP32", "[1,4]", "[1,2,3,4]")), 404, "nosuch");
    assertError(send("POST", "/v2/models/fraud/versions/9.9.9/infer", inferBody("FP32", "[1,4]", "[1,2,3,4]")), 404, "");
    assertError(send("GET", "/v2/models/fraud/infer", null), 405, "POST");
    assertError(send("GET", "/v2/nothing", null), 404, "no route");
    assertError(send("POST", infer, "{\"inputs\":[]}"), 400, "non-empty");
    // hostile numbers: an element count beyond a long, a timeout beyond Duration's nanoseconds
    assertError(send("POST", infer, inferBody("FP32", "[4294967296,4294967296,4294967296]", "[1]")), 400,
        "more elements");
    assertError(send("POST", infer, "{\"parameters\":{\"timeout\":9223372036854775807},\"inputs\":[{\"name\":\"x\","
        + "\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}"), 400, "timeout");
    // priority: 0 and 1 are high, more is low (Triton: lower values are higher priorities)
    Answer low = send("POST", infer, "{\"parameters\":{\"priority\":2},\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
        + "\"shape\":[1,4],\"data\":[1,2,3,4]}]}");
    assertThat(low.status()).as(String.valueOf(low.body())).isEqualTo(200);
    assertError(send("POST", infer, "{\"parameters\":{\"priority\":\"high\"},\"inputs\":[{\"name\":\"x\","
        + "\"datatype\":\"FP32\",\"shape\":[1,4],\"data\":[1,2,3,4]}]}"), 400, "priority");
    assertError(send("POST", infer, "{\"id\":7,\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],"
        + "\"data\":[1,2,3,4]}]}"), 400, "id must be a string");
    assertError(send("POST", infer, "{\"inputs\":[7]}"), 400, "JSON object");
    // a body over the limit (64 KiB here)
    String big = inferBody("FP32", "[1,4]", "[1,2,3,4]").replace("\"r-1\"", "\"" + "a".repeat(100_000) + "\"");
    assertError(send("POST", infer, big), 413, "");
  }

  @Test
  @DisplayName("Jetty's own refusals are JSON too: headers too large (431), a URI too long (414)")
  void protocolLimits() throws Exception {
    String headers = "GET /v2/health/live HTTP/1.1\r\nHost: x\r\nX-Big: " + "b".repeat(8_000) + "\r\n\r\n";
    assertRaw(headers, 431);
    String uri = "GET /v2/models/" + "m".repeat(8_000) + " HTTP/1.1\r\nHost: x\r\n\r\n";
    assertRaw(uri, 414);
  }

  private static void assertRaw(String request, int status) throws IOException {
    try (Socket s = new Socket("127.0.0.1", server.port())) {
      s.setSoTimeout(5_000);
      OutputStream out = s.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      String answer = new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
      assertThat(answer).startsWith("HTTP/1.1 " + status);
      assertThat(answer.toLowerCase(java.util.Locale.ROOT)).contains("content-type: application/json");
      String body = answer.substring(answer.indexOf("\r\n\r\n") + 4);
      assertThat(JSON.readTree(body).get("error").asText()).isNotBlank();
      assertThat(body).doesNotContain("<html");
    }
  }

  private static void assertError(Answer a, int status, String contains) {
    assertThat(a.status()).as(String.valueOf(a.body())).isEqualTo(status);
    assertThat(a.contentType()).startsWith("application/json");
    assertThat(a.body().get("error").asText()).contains(contains);
    assertThat(Arrays.asList(a.body().fieldNames().next())).containsExactly("error");
  }
}
