package dev.swell.samples.hotreload;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import java.io.File;
import java.io.InputStream;
import java.nio.file.Files;
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
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The real thing end to end: MiniLM published twice into a file registry, served through Swell's
 * ONNX backend by alias, while other processes (the registry's command-line tool in child JVMs)
 * promote and roll back the alias. No request fails, and the served version follows.
 */
class CrossProcessHotReloadTest {

  @TempDir Path dir;

  private static Process cli(Path root, String... args) throws Exception {
    List<String> cmd = new ArrayList<>(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-XX:TieredStopAtLevel=1", "-cp", System.getProperty("java.class.path"),
        "dev.swell.registry.cli.RegistryCli", "--root", root.toString()));
    cmd.addAll(List.of(args));
    return new ProcessBuilder(cmd).redirectErrorStream(true).start();
  }

  @Test
  @DisplayName("alias moves made by other processes are followed with zero failed requests")
  void followsMovesOfOtherProcesses() throws Exception {
    Path model = dir.resolve("minilm.onnx");
    try (InputStream in = getClass().getClassLoader().getResourceAsStream("all-minilm-l6-v2-q.onnx")) {
      Files.copy(in, model);
    }
    Path root = dir.resolve("registry");
    FileModelRegistry registry = FileModelRegistry.open(root);
    registry.publish(PublishRequest.builder("minilm").file(model).version("1.0.0").build());
    registry.publish(PublishRequest.builder("minilm").file(model).version("1.1.0").build());
    registry.promote("minilm", registry.versions("minilm").get(1), "production"); // 1.0.0

    long[] ids = new long[16];
    for (int i = 0; i < 16; i++) {
      ids[i] = i == 0 ? 101 : i == 15 ? 102 : 2000 + i;
    }
    long[] ones = new long[16];
    java.util.Arrays.fill(ones, 1);
    NamedTensors inputs = NamedTensors.builder()
        .put("input_ids", Tensor.of(ids, 1, 16))
        .put("attention_mask", Tensor.of(ones, 1, 16))
        .put("token_type_ids", Tensor.of(new long[16], 1, 16))
        .build();

    try (Swell swell = Swell.builder().repository(registry).build();
         Predictor p = swell.predictor("minilm", VersionSelector.alias("production"))) {
      float[] expected = p.predict(inputs).output("last_hidden_state").toFloatArray();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong requests = new AtomicLong();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      Set<String> served = ConcurrentHashMap.newKeySet();
      ExecutorService pool = Executors.newFixedThreadPool(4);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 4; t++) {
        workers.add(pool.submit(() -> {
          while (!stop.get()) {
            try {
              Prediction out = p.predict(inputs);
              served.add(out.version());
              // both versions hold the same bytes: bit-identical outputs across swaps
              if (!java.util.Arrays.equals(out.output("last_hidden_state").toFloatArray(), expected)) {
                failures.add(new AssertionError("output of " + out.version() + " differs"));
              }
              requests.incrementAndGet();
            } catch (Throwable e) {
              failures.add(e);
            }
          }
        }));
      }
      String[] moves = {"promote minilm 1.1.0", "rollback minilm production", "promote minilm 1.1.0",
          "rollback minilm production", "promote minilm 1.1.0", "rollback minilm production"};
      for (String move : moves) {
        Process child = cli(root, move.split(" "));
        String output = new String(child.getInputStream().readAllBytes());
        assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(child.exitValue()).as(output).isZero();
        String target = FileModelRegistry.open(root).alias("minilm", "production").orElseThrow().toString();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (!p.version().equals(target)) {
          assertThat(System.nanoTime()).as("followed " + move).isLessThan(deadline);
          Thread.sleep(5);
        }
      }
      stop.set(true);
      for (Future<?> f : workers) {
        f.get(60, TimeUnit.SECONDS);
      }
      pool.shutdown();
      System.out.printf("cross-process hot reload: %d requests, %d failed, %d alias moves by child processes, "
          + "versions served %s%n", requests.get(), failures.size(), moves.length, served);
      assertThat(failures).isEmpty();
      assertThat(served).containsExactlyInAnyOrder("1.0.0", "1.1.0");
      assertThat(p.version()).isEqualTo("1.0.0");
    }
  }
}
