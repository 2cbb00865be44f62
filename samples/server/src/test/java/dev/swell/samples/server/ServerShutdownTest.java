package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.core.testkit.ChildJvm;
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
import java.util.List;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * SIGTERM under load, on the server as it is run: {@code java -cp} with the whole class path, a
 * real registry folder, four clients sending ~190 ms ONNX requests. Requests in flight complete,
 * later ones are refused (readiness goes false first), the JVM exits within the drain time and
 * never crashes.
 */
class ServerShutdownTest {

  @TempDir Path dir;

  record Outcome(long startedNanos, long endedNanos, int status, String failure) {}

  @Test
  void sigtermUnderLoadDrainsAndExits() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("slow").file(OnnxModels.slowChain(dir.resolve("m"), 1024, 1000))
        .format("onnx").version(SemVer.parse("1.0.0")).build());
    Path out = dir.resolve("server.txt");
    try (ChildJvm.Running server = ChildJvm.builder(ServerMain.class).jvmArg("-Xmx512m",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=info").args(dir.resolve("registry").toString(), "0").start(out)) {
      Pattern port = Pattern.compile("server on port (\\d+)");
      await().atMost(Duration.ofSeconds(60)).until(() -> port.matcher(server.output()).find());
      Matcher m = port.matcher(server.output());
      assertThat(m.find()).isTrue();
      String base = "http://127.0.0.1:" + m.group(1);
      StringBuilder data = new StringBuilder("[");
      for (int i = 0; i < 1024; i++) {
        data.append(i == 0 ? "" : ",").append(i % 7 * 0.01);
      }
      String body = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,1024],\"data\":" + data + "]}]}";
      HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(2)).build();
      HttpRequest infer = HttpRequest.newBuilder(URI.create(base + "/v2/models/slow/infer"))
          .POST(HttpRequest.BodyPublishers.ofString(body)).timeout(Duration.ofSeconds(30)).build();
      assertThat(http.send(infer, HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);

      List<Outcome> outcomes = new CopyOnWriteArrayList<>();
      ConcurrentHashMap<Long, Long> sent = new ConcurrentHashMap<>(); // client thread -> when its request went out
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService clients = Executors.newFixedThreadPool(4);
      for (int c = 0; c < 4; c++) {
        clients.submit(() -> {
          while (running.get()) {
            long t0 = System.nanoTime();
            sent.put(Thread.currentThread().getId(), t0);
            try {
              int status = http.send(infer, HttpResponse.BodyHandlers.ofString()).statusCode();
              sent.remove(Thread.currentThread().getId());
              outcomes.add(new Outcome(t0, System.nanoTime(), status, null));
            } catch (java.io.IOException e) {
              sent.remove(Thread.currentThread().getId());
              outcomes.add(new Outcome(t0, System.nanoTime(), -1, e.toString()));
              Thread.sleep(20); // refused: the server is going away
            }
          }
          return null;
        });
      }
      // SIGTERM when a request has been inside the server for 60 ms (whatever this machine's speed:
      // a fixed count of answers alone once left none in flight on a faster day)
      await().atMost(Duration.ofSeconds(60)).until(() -> outcomes.stream().filter(o -> o.status() == 200).count() >= 8
          && sent.values().stream().anyMatch(t0 -> System.nanoTime() - t0 > 60_000_000L));
      long sigterm = System.nanoTime();
      server.process().destroy(); // SIGTERM
      boolean exited = server.process().waitFor(20, TimeUnit.SECONDS);
      long exitedAt = System.nanoTime();
      running.set(false);
      clients.shutdown();
      assertThat(clients.awaitTermination(40, TimeUnit.SECONDS)).isTrue();
      String log = server.output();
      assertThat(exited).as("exited within 20 s of SIGTERM; output:%n%s", log).isTrue();
      System.out.printf("SIGTERM under load: exit %d after %.1f s; %s%n", server.process().exitValue(),
          (exitedAt - sigterm) / 1e9, summary(outcomes, sigterm));
      assertThat(server.process().exitValue()).as("the JVM's exit on SIGTERM, not a crash (134, 139)").isEqualTo(143);
      assertThat(log).doesNotContain("SIGSEGV").doesNotContain("A fatal error");
      assertThat(Files.list(Path.of(".")).filter(f -> f.getFileName().toString().startsWith("hs_err")).toList()).isEmpty();
      // requests that were inside the server when SIGTERM came (sent 50 ms before or more; at least
      // one was, by the wait above) all completed with 200
      List<Outcome> inFlight = outcomes.stream()
          .filter(o -> o.startedNanos() < sigterm - 50_000_000L && o.endedNanos() > sigterm).toList();
      assertThat(inFlight).as("requests in flight at SIGTERM: %s", summary(outcomes, sigterm)).isNotEmpty()
          .allSatisfy(o -> assertThat(o.status()).isEqualTo(200));
      // before SIGTERM everything succeeded; after it, answers are 200 (drained) or 503 or refusals, never 500
      assertThat(outcomes.stream().filter(o -> o.endedNanos() < sigterm)).allSatisfy(o -> assertThat(o.status())
          .isEqualTo(200));
      assertThat(outcomes).noneMatch(o -> o.status() >= 500 && o.status() != 503);
      assertThat(log).contains("Open Inference Protocol server");
    }
  }

  private static String summary(List<Outcome> outcomes, long sigterm) {
    ConcurrentHashMap<String, AtomicLong> counts = new ConcurrentHashMap<>();
    for (Outcome o : outcomes) {
      String key = (o.startedNanos() < sigterm ? "before" : "after") + ":" + (o.status() > 0 ? o.status()
          : o.failure().replaceAll(":.*", ""));
      counts.computeIfAbsent(key, k -> new AtomicLong()).incrementAndGet();
    }
    return counts.toString();
  }
}
