package dev.swell.registry;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.SplittableRandom;

/**
 * A child process for the crash and concurrency tests: it works on a registry folder until it is
 * killed or done.
 *
 * <ul>
 *   <li>{@code churn ROOT SEED}: forever publishes versions of random size, moves, rolls back and
 *       garbage-collects aliases, printing {@code ready} once started;
 *   <li>{@code publish ROOT WORKER COUNT}: publishes COUNT patch versions of model {@code shared},
 *       each time pointing alias {@code production} at the new one, printing each version.
 * </ul>
 */
public final class RegistryWorker {

  private RegistryWorker() {}

  /**
   * Runs a mode.
   *
   * @param args the mode and its arguments
   * @throws Exception on any failure (the exit code is then 1)
   */
  public static void main(String[] args) throws Exception {
    Path root = Path.of(args[1]);
    switch (args[0]) {
      case "churn":
        churn(root, Long.parseLong(args[2]));
        break;
      case "publish":
        publish(root, args[2], Integer.parseInt(args[3]));
        break;
      default:
        throw new IllegalArgumentException("unknown mode " + args[0]);
    }
  }

  private static void churn(Path root, long seed) throws Exception {
    FileModelRegistry registry = FileModelRegistry.builder(root).actor("churn-" + seed).build();
    SplittableRandom r = new SplittableRandom(seed);
    Path scratch = Files.createTempDirectory("swell-churn");
    System.out.println("ready");
    System.out.flush();
    for (long i = 0; ; i++) {
      String model = "m" + r.nextInt(2);
      int op = r.nextInt(10);
      if (op < 5 || registry.versions(model).isEmpty()) {
        byte[] data = new byte[r.nextInt(1, 256 * 1024)];
        r.nextBytes(data);
        Path f = scratch.resolve("weights.bin");
        Files.write(f, data);
        registry.publish(PublishRequest.builder(model).file(f).format("bin")
            .bump(PublishRequest.Bump.PATCH).parentIsLatest().metric("i", i).build());
      } else if (op < 8) {
        List<SemVer> versions = registry.versions(model);
        registry.setAlias(model, versions.get(r.nextInt(versions.size())),
            r.nextBoolean() ? "production" : "staging");
      } else if (op < 9) {
        try {
          registry.rollback(model, "production");
        } catch (RegistryConflictException | dev.swell.api.ModelNotFoundException nothingToRollBackTo) {
          // fine
        }
      } else {
        registry.gc(model, RetentionPolicy.keepLast(3).withStagingMaxAge(Duration.ofDays(1)));
      }
    }
  }

  private static void publish(Path root, String worker, int count) throws Exception {
    FileModelRegistry registry = FileModelRegistry.builder(root).actor(worker).build();
    Path scratch = Files.createTempDirectory("swell-publish-" + worker);
    for (int i = 0; i < count; i++) {
      Path f = scratch.resolve("model.bin");
      Files.writeString(f, worker + " " + i);
      Manifest m = registry.publish(PublishRequest.builder("shared").file(f).format("bin")
          .bump(PublishRequest.Bump.PATCH).parentIsLatest().tag("worker", worker).build());
      registry.setAlias("shared", m.version(), "production");
      System.out.println(m.version());
    }
    System.out.flush();
  }
}
