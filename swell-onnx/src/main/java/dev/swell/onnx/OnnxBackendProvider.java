package dev.swell.onnx;

import ai.onnxruntime.OrtEnvironment;
import dev.swell.api.BackendException;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.BackendProvider;
import java.util.List;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The ONNX Runtime backend: loads {@code .onnx} files into ONNX Runtime sessions, on CUDA when the
 * process can use it and on the CPU otherwise. Registered as a {@link BackendProvider} service, so
 * a Swell runtime finds it on the class path.
 *
 * <p>It honours {@link BackendConfig#intraOpThreads()}, {@link BackendConfig#interOpThreads()} and
 * {@link BackendConfig#executionProviders()} ({@code cuda}, {@code tensorrt}, {@code cpu}, tried
 * in order; the one a model got is logged and reported as its device), and these options:
 * <ul>
 *   <li>{@value #OPTIMIZATION}: graph optimization level, {@code none}, {@code basic},
 *       {@code extended} or {@code all} (default);
 *   <li>{@value #CPU_ARENA}: whether to use ONNX Runtime's CPU memory arena ({@code true} by
 *       default);
 *   <li>{@value #CUDA_DEVICE}: the GPU to use (default 0);
 *   <li>{@value #CLOSE_TIMEOUT}: how long closing a session waits for running calls (ms, default
 *       30,000); a session still busy then is left open, never freed under a call;
 *   <li>{@value #LOG_LEVEL}: the least severe of ONNX Runtime's own messages its sessions write to
 *       standard error: {@code verbose}, {@code info}, {@code warning} (default, ONNX Runtime's),
 *       {@code error} or {@code fatal} (a failing kernel writes an error line for every failed call;
 *       Swell reports the failure as a {@link dev.swell.api.BackendException} either way).
 * </ul>
 *
 * <p>It uses the process-wide {@link OrtEnvironment}, creating it if nobody has, and never closes
 * it, so it lives beside other users of ONNX Runtime in the same JVM. It also keeps ONNX Runtime's
 * own shutdown hook from freeing the native environment while requests still run: a host may
 * drain its requests in its own shutdown hook (on SIGTERM, say) without crashing the JVM.
 *
 * <pre>{@code
 * Swell swell = Swell.builder()
 *     .backendConfig(BackendConfig.builder().intraOpThreads(1).option("onnx.optimization", "all").build())
 *     .build();   // finds this provider through ServiceLoader
 * }</pre>
 */
public final class OnnxBackendProvider implements BackendProvider {

  /** The provider's name. */
  public static final String NAME = "onnxruntime";
  /** Option: graph optimization level. */
  public static final String OPTIMIZATION = "onnx.optimization";
  /** Option: use the CPU memory arena. */
  public static final String CPU_ARENA = "onnx.cpu-arena";
  /** Option: CUDA device id. */
  public static final String CUDA_DEVICE = "onnx.cuda.device";
  /** Option: how long closing a session waits for its running calls, in milliseconds (default 30,000). */
  public static final String CLOSE_TIMEOUT = "onnx.close-timeout-ms";
  /** Option: the least severe ONNX Runtime session message written to standard error (default warning). */
  public static final String LOG_LEVEL = "onnx.log-level";

  private static final Logger log = LoggerFactory.getLogger(OnnxBackendProvider.class);

  /** Creates the provider; cheap, loads no native code. */
  public OnnxBackendProvider() {}

  @Override
  public String name() {
    return NAME;
  }

  @Override
  public Set<String> formats() {
    return Set.of("onnx");
  }

  @Override
  public boolean isAvailable() {
    try {
      OnnxEnvironment.get();
      return true;
    } catch (RuntimeException | LinkageError e) {
      log.warn("ONNX Runtime's native library did not load: {}", e.toString());
      return false;
    }
  }

  /**
   * ONNX Runtime's version, the execution providers this build holds, and for each GPU provider
   * whether it is usable on this machine and why not (no NVIDIA driver, or the error ONNX Runtime
   * gave when asked to add it).
   */
  @Override
  public java.util.Map<String, Object> diagnostics() {
    java.util.Map<String, Object> out = new java.util.LinkedHashMap<>();
    OrtEnvironment env;
    try {
      env = OnnxEnvironment.get();
    } catch (RuntimeException | LinkageError e) {
      out.put("available", false);
      out.put("why", "the native library did not load: " + e);
      return out;
    }
    out.put("available", true);
    out.put("version", env.getVersion());
    java.util.EnumSet<ai.onnxruntime.OrtProvider> built = OrtEnvironment.getAvailableProviders();
    out.put("providers", built.stream().map(Enum::name).toList());
    java.util.Map<String, String> usable = new java.util.LinkedHashMap<>();
    usable.put("cpu", "usable");
    for (ai.onnxruntime.OrtProvider p : List.of(ai.onnxruntime.OrtProvider.CUDA, ai.onnxruntime.OrtProvider.TENSOR_RT)) {
      String key = p == ai.onnxruntime.OrtProvider.CUDA ? "cuda" : "tensorrt";
      if (!built.contains(p)) {
        usable.put(key, "not usable: this ONNX Runtime build has no " + p.name() + " provider (use the onnxruntime_gpu jar)");
      } else if (!OnnxBackend.nvidiaDriverPresent()) {
        usable.put(key, "not usable: no NVIDIA driver on this machine (/proc/driver/nvidia/version is missing)");
      } else {
        try (ai.onnxruntime.OrtSession.SessionOptions o = new ai.onnxruntime.OrtSession.SessionOptions()) {
          if (p == ai.onnxruntime.OrtProvider.CUDA) {
            o.addCUDA(0);
          } else {
            o.addTensorrt(0);
          }
          usable.put(key, "usable (device 0)");
        } catch (ai.onnxruntime.OrtException | RuntimeException | LinkageError e) {
          usable.put(key, "not usable: " + String.valueOf(e.getMessage()).lines().findFirst().orElse(e.toString()));
        }
      }
    }
    out.put("executionProviders", usable);
    return out;
  }

  @Override
  public Backend create(BackendConfig config) {
    OrtEnvironment env;
    try {
      env = OnnxEnvironment.get();
    } catch (RuntimeException | LinkageError e) {
      throw new BackendException("ONNX Runtime's native library did not load: " + e, null, null, e);
    }
    log.info("ONNX Runtime {} with providers {}", env.getVersion(), OrtEnvironment.getAvailableProviders());
    return new OnnxBackend(env, config);
  }
}
