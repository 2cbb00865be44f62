package dev.swell.onnx;

/**
 * The open-object counts of {@link OnnxNativeStats} (internal to swell-onnx) for other modules'
 * tests, from swell-onnx's test-jar: such as proving no session outlives a Spark job.
 */
public final class OnnxNativeCounts {

  private OnnxNativeCounts() {}

  /**
   * Returns the sessions Swell's ONNX backend opened in this JVM and has not closed.
   *
   * @return open sessions
   */
  public static long openSessions() {
    return OnnxNativeStats.openSessions();
  }

  /**
   * Returns the native tensors open now (0 outside a running call).
   *
   * @return open tensors
   */
  public static long openTensors() {
    return OnnxNativeStats.openTensors();
  }
}
