package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Twelve clients at once sending 15 MiB JSON bodies of small numbers (7.5 million elements each)
 * to an identity model: a tree of nodes per element took ~160 MB a request and a few of them
 * exhausted the 2 GiB heap. Data is read packed, outputs are streamed, and the bytes in flight are
 * budgeted: every answer is 200 or a 503 with Retry-After, small requests beside them keep their
 * deadline, and the server serves on after them.
 */
class OipLargeBodiesTest {

  @TempDir Path dir;

  @Test
  void largeBodiesAtOnceAreServedOrRefusedNeverExhaustTheHeap() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("id").file(OnnxModels.identity(dir.resolve("m"), DType.FLOAT32))
        .format("onnx").version(SemVer.parse("1.0.0")).build());
    int n = 7_500_000;
    StringBuilder b = new StringBuilder(2 * n + 200);
    b.append("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,").append(n).append("],\"data\":[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append(i % 10);
    }
    byte[] body = b.append("]}]}").toString().getBytes(StandardCharsets.US_ASCII);
    assertThat(body.length).isBetween(14 << 20, 16 << 20);
    try (Swell swell = Swell.builder().repository(registry).build();
         OipServer server = OipServer.builder(swell, registry).host("127.0.0.1").port(0).start()) {
      HttpClient http = HttpClient.newHttpClient();
      URI infer = URI.create("http://127.0.0.1:" + server.port() + "/v2/models/id/infer");
      // small requests with a 1 s deadline, meanwhile: each answered 200 within it. Their own
      // client: one JDK client sends every request through one selector thread, and 180 MB of
      // large bodies held a small request in the client itself for a second
      HttpClient other = HttpClient.newHttpClient();
      HttpRequest small = HttpRequest.newBuilder(infer).POST(HttpRequest.BodyPublishers.ofString(
          "{\"parameters\":{\"timeout\":1000000},\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
              + "\"shape\":[1,2],\"data\":[1,2]}]}")).build();
      for (int i = 0; i < 20; i++) { // the version loaded and the client connected before the timing
        assertThat(other.send(small, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      }
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int c = 0; c < 12; c++) {
        answers.add(http.sendAsync(HttpRequest.newBuilder(infer).POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(), HttpResponse.BodyHandlers.ofString()));
      }
      List<Long> smallMillis = new ArrayList<>();
      while (answers.stream().anyMatch(a -> !a.isDone())) {
        long t0 = System.nanoTime();
        HttpResponse<String> r = other.send(small, HttpResponse.BodyHandlers.ofString());
        smallMillis.add((System.nanoTime() - t0) / 1_000_000);
        assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
      }
      int ok = 0;
      int busy = 0;
      for (CompletableFuture<HttpResponse<String>> a : answers) {
        HttpResponse<String> r = a.get(120, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          ok++;
          assertThat(r.body()).startsWith("{\"model_name\":\"id\"").contains("\"shape\":[1," + n + "]");
        } else {
          assertThat(r.statusCode()).as(r.body().substring(0, Math.min(300, r.body().length()))).isEqualTo(503);
          assertThat(r.headers().firstValue("retry-after")).contains("1");
          assertThat(r.body()).containsAnyOf("memory budget", "bodies over 1 MiB at once");
          busy++;
        }
      }
      long slowest = smallMillis.stream().mapToLong(Long::longValue).max().orElse(0);
      System.out.println("small requests' ms, in order: " + smallMillis.subList(0, Math.min(12, smallMillis.size()))
          + " ... slowest at #" + smallMillis.indexOf(slowest));
      System.out.printf("12 bodies of %d MiB at once: %d served, %d refused with 503; heap max %d MiB;"
          + " %d small requests beside them, the slowest %d ms%n", body.length >> 20, ok, busy,
          Runtime.getRuntime().maxMemory() >> 20, smallMillis.size(), slowest);
      assertThat(slowest).as("ms of the slowest small request beside the large ones (deadline 1 s)").isLessThan(1_000);
      assertThat(ok).isPositive();
      HttpResponse<String> after = http.send(HttpRequest.newBuilder(infer).POST(HttpRequest.BodyPublishers.ofString(
          "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,2],\"data\":[1,2]}]}")).build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(after.statusCode()).as("served on after them").isEqualTo(200);
    }
  }

  @Test
  void theBudgetOfBytesInFlightRefusesWhatWouldNotFit() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("id").file(OnnxModels.identity(dir.resolve("m"), DType.FLOAT32))
        .format("onnx").version(SemVer.parse("1.0.0")).build());
    int n = 450_000; // ~0.9 MB: below the large-body slots, so only the budget stands in the way
    StringBuilder b = new StringBuilder("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,")
        .append(n).append("],\"data\":[");
    for (int i = 0; i < n; i++) {
      b.append(i == 0 ? "" : ",").append(i % 10);
    }
    byte[] body = b.append("]}]}").toString().getBytes(StandardCharsets.US_ASCII);
    // 1 MiB bodies, and a budget of one such request (16 bytes a body byte)
    OipServer.Limits limits = new OipServer.Limits(1 << 20, 8 << 10, java.time.Duration.ofSeconds(30),
        java.time.Duration.ofSeconds(10)).withMaxInFlightBytes(16L << 20);
    try (Swell swell = Swell.builder().repository(registry).build();
         OipServer server = OipServer.builder(swell, registry).host("127.0.0.1").port(0).limits(limits).start()) {
      HttpClient http = HttpClient.newHttpClient();
      URI infer = URI.create("http://127.0.0.1:" + server.port() + "/v2/models/id/infer");
      List<CompletableFuture<HttpResponse<String>>> answers = new ArrayList<>();
      for (int c = 0; c < 8; c++) {
        answers.add(http.sendAsync(HttpRequest.newBuilder(infer).POST(HttpRequest.BodyPublishers.ofByteArray(body))
            .build(), HttpResponse.BodyHandlers.ofString()));
      }
      int ok = 0;
      int refused = 0;
      for (CompletableFuture<HttpResponse<String>> a : answers) {
        HttpResponse<String> r = a.get(60, TimeUnit.SECONDS);
        if (r.statusCode() == 200) {
          ok++;
        } else {
          assertThat(r.statusCode()).isEqualTo(503);
          assertThat(r.body()).contains("memory budget");
          refused++;
        }
      }
      System.out.printf("8 bodies of 0.9 MB with a budget of one: %d served, %d refused%n", ok, refused);
      assertThat(ok).isPositive();
      assertThat(ok + refused).isEqualTo(8);
    }
  }
}
