package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.swell.core.Swell;
import dev.swell.core.testkit.Measure;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Slow clients on a real server: 64 connections sending their headers one byte at a time hold no
 * thread and delay no normal request; each is answered 408 with a JSON body once its headers have
 * taken longer than the limit.
 */
class OipSlowClientsTest {

  static final String INFER = "{\"parameters\":{\"timeout\":100000},\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
      + "\"shape\":[1,4],\"data\":[1,2,3,4]}]}";

  @TempDir Path dir;

  @Test
  void slowHeadersAreRefusedAndDelayNobody() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("a"), 4, 8, 2, 1)).format("onnx")
        .version(SemVer.parse("1.0.0")).build());
    try (Swell swell = Swell.builder().repository(registry).build();
         OipServer server = OipServer.builder(swell, registry).host("127.0.0.1").port(0)
             .limits(OipServer.Limits.defaults().withHeaderTimeout(Duration.ofSeconds(2))).start()) {
      HttpClient http = HttpClient.newHttpClient();
      HttpRequest infer = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + "/v2/models/fraud/infer"))
          .POST(HttpRequest.BodyPublishers.ofString(INFER)).build();
      for (int i = 0; i < 200; i++) { // warm: the version loaded, the paths compiled
        assertThat(http.send(infer, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      }
      long[] alone = timed(http, infer, 300);

      // 64 connections, each sending a request line and then one header byte every 100 ms
      ExecutorService drips = Executors.newFixedThreadPool(64);
      List<Future<String>> answers = new ArrayList<>();
      long start = System.nanoTime();
      for (int c = 0; c < 64; c++) {
        answers.add(drips.submit(() -> slowloris(server.port())));
      }
      long[] beside = timed(http, infer, 300);
      List<String> refused = new ArrayList<>();
      for (Future<String> a : answers) {
        refused.add(a.get(30, TimeUnit.SECONDS));
      }
      double seconds = (System.nanoTime() - start) / 1e9;
      drips.shutdownNow();
      System.out.printf("64 slow clients: a normal request's p99 %.2f ms beside them (%.2f ms alone);"
          + " all refused within %.1f s%n", Measure.percentile(beside, 99) / 1e6, Measure.percentile(alone, 99) / 1e6,
          seconds);
      for (String answer : refused) {
        assertThat(answer).startsWith("HTTP/1.1 408");
        assertThat(answer.toLowerCase(java.util.Locale.ROOT)).contains("content-type: application/json");
        assertThat(new ObjectMapper().readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4)).get("error").asText())
            .contains("headers took longer");
      }
      assertThat(Measure.percentile(beside, 99) / 1e6).as("p99 ms of normal requests beside 64 slow clients, each with"
          + " a 100 ms deadline").isLessThan(100);
    }
  }

  /** 300 requests one after another: every one answered 200 within its deadline; the times in ns. */
  private static long[] timed(HttpClient http, HttpRequest infer, int n) throws Exception {
    long[] took = new long[n];
    for (int i = 0; i < n; i++) {
      long t0 = System.nanoTime();
      HttpResponse<String> r = http.send(infer, HttpResponse.BodyHandlers.ofString());
      took[i] = System.nanoTime() - t0;
      assertThat(r.statusCode()).as(r.body()).isEqualTo(200);
    }
    return took;
  }

  /** Sends headers one byte every 100 ms until the server answers; returns the answer. */
  private static String slowloris(int port) throws Exception {
    try (Socket s = new Socket("127.0.0.1", port)) {
      s.setSoTimeout(100);
      OutputStream out = s.getOutputStream();
      out.write("POST /v2/models/fraud/infer HTTP/1.1\r\nHost: x\r\nX-Slow: ".getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = s.getInputStream();
      long giveUp = System.nanoTime() + TimeUnit.SECONDS.toNanos(20);
      while (System.nanoTime() < giveUp) {
        try {
          out.write('a');
          out.flush();
        } catch (java.io.IOException closed) {
          break; // the server closed after answering; read what it sent
        }
        try {
          int b = in.read();
          if (b >= 0) {
            s.setSoTimeout(5_000);
            return (char) b + new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
          }
          break;
        } catch (java.net.SocketTimeoutException nothingYet) {
          // keep dripping
        }
      }
      s.setSoTimeout(5_000);
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
