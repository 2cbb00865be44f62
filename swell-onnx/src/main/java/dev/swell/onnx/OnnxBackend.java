package dev.swell.onnx;

import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.OrtSession.SessionOptions;
import ai.onnxruntime.OrtSession.SessionOptions.OptLevel;
import dev.swell.api.BackendException;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Loads ONNX models into sessions configured from a {@link BackendConfig}. */
final class OnnxBackend implements Backend {

  private static final Logger log = LoggerFactory.getLogger(OnnxBackend.class);

  private final OrtEnvironment env;
  private final BackendConfig config;
  private final OptLevel optLevel;
  private final boolean cpuArena;
  private final int cudaDevice;
  private final long closeTimeoutNanos;
  private final ai.onnxruntime.OrtLoggingLevel logLevel;
  /** Execution providers that failed once, with the reason, so they are not tried again. */
  private final Map<String, String> unavailable = new ConcurrentHashMap<>();

  OnnxBackend(OrtEnvironment env, BackendConfig config) {
    this.env = env;
    this.config = config;
    this.optLevel = optLevel(config.option(OnnxBackendProvider.OPTIMIZATION).orElse("all"));
    this.cpuArena = Boolean.parseBoolean(config.option(OnnxBackendProvider.CPU_ARENA).orElse("true"));
    this.cudaDevice = Integer.parseInt(config.option(OnnxBackendProvider.CUDA_DEVICE).orElse("0"));
    this.closeTimeoutNanos = java.util.concurrent.TimeUnit.MILLISECONDS.toNanos(
        Long.parseLong(config.option(OnnxBackendProvider.CLOSE_TIMEOUT).orElse("30000")));
    this.logLevel = logLevel(config.option(OnnxBackendProvider.LOG_LEVEL).orElse("warning"));
    for (String ep : config.executionProviders()) {
      if (!ep.equals("cuda") && !ep.equals("tensorrt") && !ep.equals("cpu")) {
        throw new IllegalArgumentException("unknown execution provider '" + ep
            + "'; the ONNX backend knows cuda, tensorrt and cpu");
      }
    }
  }

  @Override
  public String name() {
    return OnnxBackendProvider.NAME;
  }

  @Override
  public LoadedModel load(ModelArtifact artifact) {
    OnnxEnvironment.checkCallable(artifact.name(), artifact.version());
    for (String ep : config.executionProviders()) {
      if (unavailable.containsKey(ep)) {
        continue;
      }
      SessionOptions options = null;
      OrtSession session = null;
      try {
        options = baseOptions();
        if (!addProvider(options, ep)) {
          continue;
        }
        session = env.createSession(artifact.file().toString(), options);
        OnnxNativeStats.SESSIONS.incrementAndGet();
        String device = ep.equals("cpu") ? "cpu" : ep + ":" + cudaDevice;
        log.debug("model '{}' {} runs on {}", artifact.name(), artifact.version(), device);
        return new OnnxLoadedModel(env, session, artifact, device, closeTimeoutNanos);
      } catch (OrtException | RuntimeException e) {
        if (session != null) {
          closeQuietly(session);
        }
        if (!ep.equals("cpu")) {
          // A GPU provider can fail on a model the CPU runs: fall back, but remember nothing.
          log.info("model '{}' {} did not start on {} ({}); trying the next provider",
              artifact.name(), artifact.version(), ep, e.getMessage());
          continue;
        }
        if (e instanceof BackendException) {
          throw (BackendException) e;
        }
        throw new BackendException("ONNX Runtime could not load " + artifact.file() + ": "
            + e.getMessage(), artifact.name(), artifact.version(), e);
      } finally {
        if (options != null) {
          options.close();
        }
      }
    }
    throw new BackendException("no execution provider of " + config.executionProviders()
        + " could run the model; unavailable: " + unavailable + ". Add \"cpu\" to the list to fall "
        + "back to the CPU.", artifact.name(), artifact.version(), null);
  }

  private SessionOptions baseOptions() throws OrtException {
    SessionOptions options = new SessionOptions();
    try {
      options.setOptimizationLevel(optLevel);
      options.setCPUArenaAllocator(cpuArena);
      options.setSessionLogLevel(logLevel);
      if (config.intraOpThreads() > 0) {
        options.setIntraOpNumThreads(config.intraOpThreads());
      }
      if (config.interOpThreads() > 0) {
        options.setInterOpNumThreads(config.interOpThreads());
      }
      return options;
    } catch (OrtException | RuntimeException e) {
      options.close();
      throw e;
    }
  }

  /** Adds a provider; returns false (and remembers why) when this process cannot use it. */
  private boolean addProvider(SessionOptions options, String ep) {
    if (!ep.equals("cpu") && !nvidiaDriverPresent()) {
      // Trying would make ONNX Runtime log an error about missing CUDA libraries on every
      // CPU-only Linux machine; without a driver the provider cannot work anyway.
      if (unavailable.putIfAbsent(ep, "no NVIDIA driver on this machine") == null) {
        log.info("execution provider {} is not available here (no NVIDIA driver), using the next", ep);
      }
      return false;
    }
    try {
      switch (ep) {
        case "cuda":
          options.addCUDA(cudaDevice);
          return true;
        case "tensorrt":
          options.addTensorrt(cudaDevice);
          return true;
        default:
          return true; // the CPU provider is always there
      }
    } catch (OrtException | RuntimeException | LinkageError e) {
      String reason = String.valueOf(e.getMessage()).lines().findFirst().orElse("");
      if (unavailable.putIfAbsent(ep, reason) == null) {
        log.info("execution provider {} is not available here, falling back: {}", ep, reason);
      }
      return false;
    }
  }

  /** On Linux, a GPU is usable only with the NVIDIA driver loaded; elsewhere, let ORT decide. */
  static boolean nvidiaDriverPresent() {
    String os = System.getProperty("os.name", "").toLowerCase(Locale.ROOT);
    if (!os.contains("linux")) {
      return true;
    }
    return java.nio.file.Files.exists(java.nio.file.Path.of("/proc/driver/nvidia/version"))
        || java.nio.file.Files.exists(java.nio.file.Path.of("/dev/nvidiactl"));
  }

  private static OptLevel optLevel(String name) {
    switch (name.toLowerCase(Locale.ROOT)) {
      case "disable":
      case "none":
        return OptLevel.NO_OPT;
      case "basic":
        return OptLevel.BASIC_OPT;
      case "extended":
        return OptLevel.EXTENDED_OPT;
      case "all":
        return OptLevel.ALL_OPT;
      default:
        throw new IllegalArgumentException("option " + OnnxBackendProvider.OPTIMIZATION + " is '"
            + name + "'; expected none, basic, extended or all");
    }
  }

  private static ai.onnxruntime.OrtLoggingLevel logLevel(String name) {
    switch (name) {
      case "verbose":
        return ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_VERBOSE;
      case "info":
        return ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_INFO;
      case "warning":
        return ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_WARNING;
      case "error":
        return ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_ERROR;
      case "fatal":
        return ai.onnxruntime.OrtLoggingLevel.ORT_LOGGING_LEVEL_FATAL;
      default:
        throw new IllegalArgumentException("option " + OnnxBackendProvider.LOG_LEVEL + " is '" + name
            + "'; expected verbose, info, warning, error or fatal");
    }
  }

  private static void closeQuietly(OrtSession session) {
    try {
      session.close();
    } catch (OrtException e) {
      log.debug("closing a failed session", e);
    } finally {
      OnnxNativeStats.SESSIONS.decrementAndGet();
    }
  }

  @Override
  public void close() {
    // The environment is process-wide and shared (another library may hold it): never close it.
  }
}
