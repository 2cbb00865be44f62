package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.IntegrityException;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;

/** Flipping any single byte of an artifact or of the manifest makes the version unservable. */
class IntegrityPropertiesTest {

  @Property(tries = 200)
  void anyFlippedByteIsDetected(@ForAll long seed, @ForAll @IntRange(min = 0, max = 2) int which) throws IOException {
    Path root = Files.createTempDirectory("swell-flip");
    try {
      SplittableRandom r = new SplittableRandom(seed);
      FileModelRegistry registry = FileModelRegistry.open(root);
      byte[] data = new byte[r.nextInt(1, 5000)];
      r.nextBytes(data);
      Path src = Files.write(root.resolve("src.bin"), data);
      Manifest m = registry.publish(PublishRequest.builder("m").file(src).format("bin").version("1.0.0")
          .metric("auc", r.nextDouble()).tag("k", "v").build());
      ModelVersion v = registry.open("m", m.version());
      Path target = which == 0 ? v.primaryFile()
          : which == 1 ? v.directory().getParent().resolve("manifest.json")
          : v.directory().getParent().resolve("manifest.sha256");
      byte[] bytes = Files.readAllBytes(target);
      int at = r.nextInt(bytes.length);
      bytes[at] ^= (byte) r.nextInt(1, 256);
      Files.write(target, bytes);
      // a fresh instance (no cache) and a forced re-verify both refuse it
      assertThatThrownBy(() -> FileModelRegistry.open(root).open("m", m.version()))
          .as("flip at byte %d of %s", at, target.getFileName())
          .isInstanceOf(IntegrityException.class);
      assertThatThrownBy(() -> registry.verify("m", m.version())).isInstanceOf(IntegrityException.class);
    } finally {
      FsOps.deleteRecursively(root);
    }
  }
}
