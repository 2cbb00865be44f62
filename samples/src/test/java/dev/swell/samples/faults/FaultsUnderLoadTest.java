package dev.swell.samples.faults;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.SwellHealth;
import dev.swell.core.event.VersionUnloaded;
import dev.swell.core.testkit.ReferenceBackendProvider;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import dev.swell.registry.cli.RegistryCli;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneId;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Faults injected while 8 threads serve a version that follows {@code production}: the registry
 * folder gone for a while, the serving version's file truncated and another's deleted after
 * publication, a publish that runs out of disk (a child process under {@code ulimit -f}), versions
 * whose load or warm-up throws, a backend whose warm-up hangs, and the wall clock jumping a day
 * each way. Each time: every
 * request is answered by the serving version, nothing in the registry changes, health says why.
 */
class FaultsUnderLoadTest {

  @TempDir Path dir;

  /** A wall clock that can be moved. */
  static final class JumpingClock extends Clock {
    volatile long offsetMillis;

    @Override
    public ZoneId getZone() {
      return ZoneOffset.UTC;
    }

    @Override
    public Clock withZone(ZoneId zone) {
      return this;
    }

    @Override
    public Instant instant() {
      return Instant.now().plusMillis(offsetMillis);
    }
  }

  record Figure(String fault, long served, long failed) {}

  @Test
  @DisplayName("each fault under 8 threads of load: 0 failed requests, nothing lost, health says why")
  void faultsUnderLoad() throws Exception {
    Path root = dir.resolve("registry");
    JumpingClock clock = new JumpingClock();
    FileModelRegistry registry = FileModelRegistry.builder(root).clock(clock).build();
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("a"), 16, 32, 4, 1)).version("1.0.0").build());
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    Path serving = registry.open("fraud", SemVer.parse("1.0.0")).primaryFile();
    byte[] servingBytes = Files.readAllBytes(serving);
    // the requests' first feature is 5.0: the flawed model's Gather fails on it at warm-up
    float[] x = new float[16];
    SplittableRandom r = new SplittableRandom(2);
    for (int i = 1; i < x.length; i++) {
      x[i] = (float) r.nextDouble(-1, 1);
    }
    x[0] = 5f;
    NamedTensors in = NamedTensors.of("x", Tensor.of(x, 1, 16));
    List<Figure> figures = new ArrayList<>();
    List<String> unloaded = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (Swell swell = Swell.builder().repository(registry).clock(clock).refreshInterval(Duration.ofMillis(20))
        .backend(new ReferenceBackendProvider()).loadTimeout(Duration.ofSeconds(1)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"));
         Load load = new Load(8, p, in, "1.0.0")) {
      await().until(() -> load.served() > 1000);

      // 1. the registry folder unreadable (gone) for a while
      long before = load.served();
      Path models = root.resolve("models");
      Path away = root.resolve("models-away");
      Files.move(models, away);
      waitForError(swell, "");
      await().until(() -> load.served() > before + 2000);
      Files.move(away, models);
      awaitHealthy(swell);
      figures.add(new Figure("registry folder gone, then back", load.served() - before, load.failed()));

      // 2. the serving version's file truncated after publication (and put back)
      long b2 = load.served();
      Files.write(serving, java.util.Arrays.copyOf(servingBytes, servingBytes.length / 2));
      waitForError(swell, "bytes, the manifest says");
      await().until(() -> load.served() > b2 + 2000);
      Files.write(serving, servingBytes);
      awaitHealthy(swell);
      figures.add(new Figure("serving version's file truncated", load.served() - b2, load.failed()));

      // 3. a version deleted after publication, then named by the alias
      long b3 = load.served();
      registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("b"), 16, 32, 4, 2)).version("1.1.0").build());
      Path v11 = registry.open("fraud", SemVer.parse("1.1.0")).primaryFile();
      Files.delete(v11);
      registry.promoteForced("fraud", SemVer.parse("1.1.0"), "production", "fault injection");
      waitForError(swell, "is missing");
      await().until(() -> load.served() > b3 + 2000);
      figures.add(new Figure("aliased version's file deleted", load.served() - b3, load.failed()));

      // 4. a version whose load throws (not ONNX), one whose warm-up throws (Gather out of range)
      long b4 = load.served();
      byte[] garbage = new byte[4096];
      new SplittableRandom(3).nextBytes(garbage);
      registry.publish(PublishRequest.builder("fraud").file(Files.write(dir.resolve("junk.onnx"), garbage)).version("1.2.0").build());
      registry.promote("fraud", SemVer.parse("1.2.0"), "production");
      waitForError(swell, "loading 1.2.0 failed");
      registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlpFailingOn(dir.resolve("c"), 16, 32, 4, 3, 2))
          .version("1.3.0").build());
      registry.promote("fraud", SemVer.parse("1.3.0"), "production");
      waitForError(swell, "1.3.0");
      await().until(() -> load.served() > b4 + 2000);
      figures.add(new Figure("load throws, warm-up throws", load.served() - b4, load.failed()));

      // 5. a publish that runs out of disk, in another process (file-size limit of 2 MiB)
      long b5 = load.served();
      Path big = dir.resolve("big.onnx");
      Files.write(big, new byte[8 << 20]);
      List<SemVer> versionsBefore = registry.versions("fraud");
      String eventsBefore = Files.readString(root.resolve("models/fraud/events.log"));
      Process child = new ProcessBuilder("bash", "-c", "ulimit -f 2048; exec \"$0\" \"$@\"",
          Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", System.getProperty("java.class.path"),
          RegistryCli.class.getName(), "--root", root.toString(), "publish", "fraud", big.toString(), "--version", "2.0.0")
          .redirectErrorStream(true).start();
      String output = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
      assertThat(child.waitFor(60, TimeUnit.SECONDS)).isTrue();
      assertThat(child.exitValue()).as(output).isEqualTo(3);
      assertThat(output).contains("File too large");
      assertThat(registry.versions("fraud")).isEqualTo(versionsBefore);
      assertThat(Files.readString(root.resolve("models/fraud/events.log"))).isEqualTo(eventsBefore);
      try (var staging = Files.list(root.resolve("models/fraud/.staging"))) {
        assertThat(staging).as("the torn copy is removed").isEmpty();
      }
      await().until(() -> load.served() > b5 + 2000);
      figures.add(new Figure("disk full during publish (other process)", load.served() - b5, load.failed()));

      // 6. a plugin backend whose warm-up hangs (2.5 s a call): abandoned after loadTimeout (1 s)
      swell.on(VersionUnloaded.class, e -> unloaded.add(e.version()));
      long b7 = load.served();
      Path hanging = ReferenceBackendProvider.write(dir.resolve("hangs.ref"), "op", "mlp", "in", "16", "hidden", "8",
          "out", "4", "seed", "9", "delay_ms", "2500");
      registry.publish(PublishRequest.builder("fraud").file(hanging).format("ref").version("1.4.0").build());
      registry.promote("fraud", SemVer.parse("1.4.0"), "production");
      waitForError(swell, "did not finish within PT1S");
      await().until(() -> load.served() > b7 + 2000);
      await().atMost(Duration.ofSeconds(15)).until(() -> unloaded.contains("1.4.0")); // the late copy is closed
      figures.add(new Figure("warm-up hangs (abandoned after 1 s)", load.served() - b7, load.failed()));

      // 7. the wall clock jumps a day back and a day forward while the alias moves back
      long b6 = load.served();
      clock.offsetMillis = -Duration.ofDays(1).toMillis();
      registry.promote("fraud", SemVer.parse("1.0.0"), "production");
      awaitHealthy(swell);
      clock.offsetMillis = Duration.ofDays(1).toMillis();
      await().until(() -> load.served() > b6 + 2000);
      clock.offsetMillis = 0;
      awaitHealthy(swell);
      figures.add(new Figure("wall clock -1 day, +1 day", load.served() - b6, load.failed()));
      assertThat(registry.verifyAll()).as("the registry after the faults").hasSize(1)
          .allMatch(problem -> problem.contains("1.1.0") && problem.contains("is missing"));
      System.out.println("faults under 8 threads of load:");
      figures.forEach(f -> System.out.printf("  %-45s %,8d served, %d failed%n", f.fault(), f.served(), f.failed()));
      assertThat(load.failed()).as("failed requests (first: %s)", load.firstFailure()).isZero();
    }
  }

  private static void waitForError(Swell swell, String text) {
    await("health reports: " + text).atMost(Duration.ofSeconds(20)).pollInterval(Duration.ofMillis(5))
        .until(() -> swell.health().models().get(0), s -> s.lastError() != null && s.lastError().contains(text)
            && "1.0.0".equals(s.version()));
  }

  private static void awaitHealthy(Swell swell) {
    await("healthy again").atMost(Duration.ofSeconds(70)).pollInterval(Duration.ofMillis(5))
        .until(() -> swell.health().models().get(0), SwellHealth.ModelStatus::healthy);
  }
}
