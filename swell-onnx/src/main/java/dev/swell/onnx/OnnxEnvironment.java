package dev.swell.onnx;

import ai.onnxruntime.OrtEnvironment;
import dev.swell.api.BackendException;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The process-wide ONNX Runtime environment, kept alive until the process ends.
 *
 * <p>ONNX Runtime's Java binding registers a JVM shutdown hook that releases the native
 * environment. Shutdown hooks run concurrently, so while a host drains its requests in its own
 * hook (as it must on SIGTERM), a session still running, or starting, uses a freed environment and
 * the JVM dies with SIGSEGV inside {@code OrtSession.run} (measured with 1.28.0 and 1.29.0; ONNX
 * Runtime issue #31352 is the same race for {@code createSession}). The native environment is a
 * reference-counted singleton: creating it again returns the same one with one more reference.
 * Swell takes that one extra reference when it first uses ONNX Runtime (the binding's private
 * {@code createHandle}, reached by reflection, which works whether ONNX Runtime is on the class
 * path or the module path as an automatic module), so the hook's release drops a count and frees
 * nothing; the memory goes back when the process ends, as it would anyway.
 *
 * <p>If that reference cannot be taken (a future binding without the method, or the system
 * property {@value #PIN_PROPERTY}{@code =false}), Swell warns once and falls back to refusing new
 * native calls as soon as the JVM's shutdown begins, with a {@link BackendException}: calls that
 * are already running can then still race with the release.
 */
final class OnnxEnvironment {

  /** System property: {@code false} turns the extra reference off (not recommended). */
  static final String PIN_PROPERTY = "swell.onnx.pin-environment";

  private static final Logger log = LoggerFactory.getLogger(OnnxEnvironment.class);

  private static OrtEnvironment env; // guarded by OnnxEnvironment.class
  private static boolean pinned; // guarded by OnnxEnvironment.class
  /** Set by the fallback shutdown hook when the environment could not be pinned. */
  private static volatile boolean shuttingDownUnpinned;

  private OnnxEnvironment() {}

  /**
   * Returns the process-wide environment, creating it if nobody has and pinning it the first time.
   *
   * @throws RuntimeException or {@link LinkageError} if the native library does not load
   */
  static synchronized OrtEnvironment get() {
    if (env == null) {
      OrtEnvironment e = OrtEnvironment.getEnvironment();
      pinned = pin();
      if (!pinned) {
        Runtime.getRuntime().addShutdownHook(new Thread(() -> shuttingDownUnpinned = true,
            "swell-onnx-shutdown"));
      }
      env = e;
    }
    return env;
  }

  /** Whether the native environment holds Swell's extra reference (false before first use). */
  static synchronized boolean isPinned() {
    return pinned;
  }

  /**
   * Refuses a native call when the environment may be released under it (only without the pin,
   * once the JVM is shutting down).
   *
   * @param model the model's name, for the exception
   * @param version its version
   */
  static void checkCallable(String model, String version) {
    if (shuttingDownUnpinned) {
      throw new BackendException("the JVM is shutting down and ONNX Runtime releases its native "
          + "environment; no new call is started (set -D" + PIN_PROPERTY + "=true to keep serving "
          + "while the host drains)", model, version, null);
    }
  }

  private static boolean pin() {
    if ("false".equalsIgnoreCase(System.getProperty(PIN_PROPERTY))) {
      log.warn("{}=false: ONNX Runtime's shutdown hook may free its environment while requests "
          + "run; Swell refuses new calls once shutdown begins", PIN_PROPERTY);
      return false;
    }
    try {
      Class<?> runtime = Class.forName("ai.onnxruntime.OnnxRuntime", true,
          OrtEnvironment.class.getClassLoader());
      Field api = runtime.getDeclaredField("ortApiHandle");
      api.setAccessible(true);
      Method create = OrtEnvironment.class.getDeclaredMethod("createHandle", long.class, int.class,
          String.class);
      create.setAccessible(true);
      // Level 3 = errors only; the existing environment keeps its own level and name.
      long handle = (long) create.invoke(null, api.getLong(null), 3, "swell");
      log.debug("holding a reference to ONNX Runtime's environment ({}), so its shutdown hook "
          + "cannot free it while requests run", Long.toHexString(handle));
      return handle != 0;
    } catch (ReflectiveOperationException | RuntimeException e) {
      log.warn("could not hold a reference to ONNX Runtime's native environment ({}); its shutdown "
          + "hook may free it while requests run, so Swell refuses new calls once shutdown begins",
          e.toString());
      return false;
    }
  }
}
