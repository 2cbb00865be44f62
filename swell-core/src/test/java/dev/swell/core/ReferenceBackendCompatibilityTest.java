package dev.swell.core;

import dev.swell.api.DType;
import dev.swell.api.spi.BackendProvider;
import dev.swell.core.testkit.BackendCompatibilityKit;
import dev.swell.core.testkit.ReferenceBackendProvider;
import java.nio.file.Path;

/** The pure-Java reference backend passes the compatibility kit. */
class ReferenceBackendCompatibilityTest extends BackendCompatibilityKit {

  @Override
  protected BackendProvider provider() {
    return new ReferenceBackendProvider();
  }

  @Override
  protected Path writeMlp(Path dir, int in, int hidden, int out, long seed) {
    return ReferenceBackendProvider.write(dir.resolve("mlp-" + in + "-" + hidden + "-" + out + "-" + seed + ".ref"),
        "op", "mlp", "in", "" + in, "hidden", "" + hidden, "out", "" + out, "seed", "" + seed);
  }

  @Override
  protected Path writeIdentity(Path dir, DType dtype) {
    return ReferenceBackendProvider.write(dir.resolve("identity-" + dtype + ".ref"),
        "op", "identity", "dtype", dtype.displayName());
  }

  @Override
  protected Path writeTwoInTwoOut(Path dir) {
    return ReferenceBackendProvider.write(dir.resolve("two_io.ref"), "op", "two_io");
  }

  @Override
  protected String extension() {
    return "ref";
  }
}
