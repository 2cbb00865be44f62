package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real child JVM publishes, moves aliases, rolls back and garbage-collects in a loop and is
 * killed with SIGKILL at a random moment, 100 times. After each kill the registry must open, verify
 * clean, show no half-visible version, have every alias on a complete version, and its event logs
 * must parse.
 */
@Tag("process")
class RegistryCrashTest {

  static final int KILLS = 100;

  @TempDir Path root;

  @Test
  @DisplayName("100 SIGKILLs at random moments never leave the registry damaged")
  void survivesKills() throws Exception {
    FileModelRegistry.open(root);
    SplittableRandom r = new SplittableRandom(20261124);
    int versionsSeen = 0;
    int tornLines = 0;
    int stagingLeft = 0;
    long start = System.nanoTime();
    for (int kill = 1; kill <= KILLS; kill++) {
      Process p = ChildJvm.start(RegistryWorker.class, "churn", root.toString(), Long.toString(kill));
      BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8));
      assertThat(out.readLine()).as("child %d started", kill).isEqualTo("ready");
      Thread.sleep(r.nextInt(5, 300));
      p.destroyForcibly(); // SIGKILL on Linux and macOS
      assertThat(p.waitFor(30, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).as("killed, not exited").isNotZero();

      for (String model : new String[] {"m0", "m1"}) {
        Path log = root.resolve("models").resolve(model).resolve("events.log");
        if (Files.exists(log)) {
          byte[] bytes = Files.readAllBytes(log);
          if (bytes.length > 0 && bytes[bytes.length - 1] != '\n') {
            tornLines++;
          }
        }
      }
      FileModelRegistry registry = FileModelRegistry.open(root);
      assertThat(registry.verifyAll()).as("after kill %d", kill).isEmpty();
      int versions = 0;
      for (String model : registry.models()) {
        for (SemVer v : registry.versions(model)) {
          ModelVersion mv = registry.open(model, v); // complete: manifest and every file verified
          assertThat(mv.manifest().files()).isNotEmpty();
          versions++;
        }
        for (var alias : registry.aliases(model).entrySet()) {
          registry.open(model, alias.getValue());
        }
        assertThat(registry.events(model)).isNotNull();
        // A publisher killed before its first version leaves a model folder without "versions".
        Path versionsDir = root.resolve("models").resolve(model).resolve("versions");
        if (Files.isDirectory(versionsDir)) {
          try (Stream<Path> names = Files.list(versionsDir)) {
            names.forEach(d -> assertThat(SemVer.parse(d.getFileName().toString())).isNotNull());
          }
        }
      }
      versionsSeen = versions;
    }
    for (String model : new String[] {"m0", "m1"}) {
      Path staging = root.resolve("models").resolve(model).resolve(".staging");
      if (Files.isDirectory(staging)) {
        try (Stream<Path> s = Files.list(staging)) {
          stagingLeft += (int) s.count();
        }
      }
    }
    // gc removes abandoned staging folders (here: all, as no publisher runs any more)
    FileModelRegistry registry = FileModelRegistry.open(root);
    for (String model : registry.models()) {
      registry.gc(model, RetentionPolicy.keepLast(1000).withStagingMaxAge(java.time.Duration.ZERO));
      Path staging = root.resolve("models").resolve(model).resolve(".staging");
      if (Files.isDirectory(staging)) {
        try (Stream<Path> s = Files.list(staging)) {
          assertThat(s.count()).as("staging folders left after gc").isZero();
        }
      }
    }
    System.out.printf("crash test: %d SIGKILLs in %d s; %d versions present at the end; torn event-log "
            + "tails found after %d kills (dropped by the next writer); staging folders abandoned by killed publishers %d (all removed by gc); "
            + "verify clean after every kill%n", KILLS, TimeUnit.NANOSECONDS.toSeconds(System.nanoTime() - start),
        versionsSeen, tornLines, stagingLeft);
    assertThat(versionsSeen).isPositive();
  }
}
