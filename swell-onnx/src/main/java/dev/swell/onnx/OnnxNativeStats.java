package dev.swell.onnx;

import java.util.concurrent.atomic.AtomicLong;

/**
 * Process-wide counts of the ONNX Runtime objects that Swell's ONNX backend created and has not yet
 * closed: sessions, tensors and run results. Internal: tests use them to prove every path closes
 * what it opened.
 *
 * <p>Thread-safe; reading a count is a volatile read.
 */
final class OnnxNativeStats {

  static final AtomicLong SESSIONS = new AtomicLong();
  static final AtomicLong TENSORS = new AtomicLong();
  static final AtomicLong RESULTS = new AtomicLong();

  private OnnxNativeStats() {}

  /**
   * Returns the number of open sessions (loaded models).
   *
   * @return sessions created and not closed
   */
  public static long openSessions() {
    return SESSIONS.get();
  }

  /**
   * Returns the number of open input tensors. Outside a running call this is 0.
   *
   * @return tensors created and not closed
   */
  public static long openTensors() {
    return TENSORS.get();
  }

  /**
   * Returns the number of open run results (output tensors). Outside a running call this is 0.
   *
   * @return results created and not closed
   */
  public static long openResults() {
    return RESULTS.get();
  }
}
