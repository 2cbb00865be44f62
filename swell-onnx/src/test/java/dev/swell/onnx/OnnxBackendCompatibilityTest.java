package dev.swell.onnx;

import dev.swell.api.DType;
import dev.swell.api.spi.BackendProvider;
import dev.swell.core.testkit.BackendCompatibilityKit;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Path;

/** The ONNX Runtime backend passes the backend compatibility kit. */
class OnnxBackendCompatibilityTest extends BackendCompatibilityKit {

  @Override
  protected BackendProvider provider() {
    return new OnnxBackendProvider();
  }

  @Override
  protected Path writeMlp(Path dir, int in, int hidden, int out, long seed) {
    return OnnxModels.mlp(dir, in, hidden, out, seed);
  }

  @Override
  protected Path writeIdentity(Path dir, DType dtype) {
    return OnnxModels.identity(dir, dtype);
  }

  @Override
  protected Path writeTwoInTwoOut(Path dir) {
    return OnnxModels.twoInTwoOut(dir);
  }

  @Override
  protected String extension() {
    return "onnx";
  }
}
