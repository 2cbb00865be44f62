package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.MiniLm;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The MiniLM embedding route as a custom endpoint on the protocol's server: real MiniLM-L6-v2-q,
 * Hugging Face's tokenizer from the tokenizer.json the model ships with, a real client.
 */
class EmbeddingRouteTest {

  @TempDir static Path dir;
  static Swell swell;
  static Predictor encoder;
  static EmbeddingRoute route;
  static OipServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("minilm").file(MiniLm.modelFile()).format("onnx")
        .version(SemVer.parse("1.0.0")).build());
    registry.promote("minilm", SemVer.parse("1.0.0"), "production");
    Path tokenizer = dir.resolve("tokenizer.json");
    try (InputStream in = EmbeddingRouteTest.class.getResourceAsStream("/all-minilm-l6-v2-q-tokenizer.json")) {
      Files.copy(in, tokenizer);
    }
    swell = Swell.builder().repository(registry).build();
    encoder = swell.predictor("minilm", VersionSelector.alias("production"));
    route = new EmbeddingRoute(encoder, tokenizer, 128);
    server = OipServer.builder(swell, registry).host("127.0.0.1").port(0).route("/v1/embed", route).start();
  }

  @AfterAll
  static void stop() {
    server.close();
    route.close();
    encoder.close();
    swell.close();
  }

  static HttpResponse<String> embed(String body) throws Exception {
    return HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v1/embed"))
        .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
  }

  static double cosine(JsonNode a, JsonNode b) {
    double dot = 0;
    for (int i = 0; i < a.size(); i++) {
      dot += a.get(i).asDouble() * b.get(i).asDouble();
    }
    return dot; // unit vectors
  }

  @Test
  @DisplayName("Hugging Face's tokenizer: BERT's ids for plain text, special tokens, truncation to 128")
  void tokenizer() {
    assertThat(route.tokenIds("Hello world")).containsExactly(101, 7592, 2088, 102);
    assertThat(route.tokenIds("word ".repeat(500))).hasSize(128).startsWith(101).endsWith(102);
  }

  @Test
  @DisplayName("POST /v1/embed: unit vectors that rank a paraphrase above an unrelated sentence, naming the version")
  void embeds() throws Exception {
    HttpResponse<String> r = embed("{\"texts\":[\"A cat sits on the mat.\",\"There is a cat sitting on a rug.\","
        + "\"Stock markets fell sharply on Monday.\"]}");
    assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    JsonNode body = JSON.readTree(r.body());
    assertThat(body.get("version").asText()).isEqualTo("1.0.0");
    JsonNode e = body.get("embeddings");
    assertThat(e).hasSize(3);
    assertThat(e.get(0)).hasSize(MiniLm.HIDDEN);
    assertThat(cosine(e.get(0), e.get(0))).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    assertThat(cosine(e.get(0), e.get(1))).isGreaterThan(cosine(e.get(0), e.get(2)) + 0.2);
  }

  @Test
  @DisplayName("bad bodies are 400s with a JSON error; a 1 MB text costs no more than a short one and stalls nobody")
  void hostile() throws Exception {
    assertThat(embed("{\"texts\":[]}").statusCode()).isEqualTo(400);
    assertThat(embed("{\"texts\":[7]}").body()).contains("not a string");
    assertThat(embed("not json").statusCode()).isEqualTo(400);
    String huge = "{\"texts\":[\"" + "lorem ipsum dolor sit amet ".repeat(40_000) + "\"]}";
    embed("{\"texts\":[\"warm\"]}");
    long t0 = System.nanoTime();
    CompletableFuture<HttpResponse<String>> big = HTTP.sendAsync(HttpRequest.newBuilder(
        URI.create("http://127.0.0.1:" + server.port() + "/v1/embed")).POST(HttpRequest.BodyPublishers.ofString(huge))
        .build(), HttpResponse.BodyHandlers.ofString());
    HttpResponse<String> small = embed("{\"texts\":[\"a short one\"]}");
    double smallMs = (System.nanoTime() - t0) / 1e6;
    HttpResponse<String> bigAnswer = big.get();
    double bigMs = (System.nanoTime() - t0) / 1e6;
    System.out.printf("a 1 MB text answered in %.0f ms; a short request beside it in %.0f ms%n", bigMs, smallMs);
    assertThat(bigAnswer.statusCode()).isEqualTo(200);
    assertThat(small.statusCode()).isEqualTo(200);
    assertThat(bigMs).as("ms for a 1 MB text (it was ~3 s of tokenizing before)").isLessThan(1_000);
  }
}
