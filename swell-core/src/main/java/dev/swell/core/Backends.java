package dev.swell.core;

import dev.swell.api.BackendException;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.BackendProvider;
import dev.swell.api.spi.ModelArtifact;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceConfigurationError;
import java.util.ServiceLoader;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The backend providers a runtime knows (explicit ones first, then those {@link ServiceLoader}
 * found), and the backends it started from them, one per provider, on first use.
 */
final class Backends implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(Backends.class);

  private final List<BackendProvider> providers;
  private final BackendConfig config;
  private final Map<String, Backend> started = new HashMap<>(); // guarded by this
  private final Map<String, Boolean> availability = new HashMap<>(); // guarded by this
  private boolean closed; // guarded by this

  private Backends(List<BackendProvider> providers, BackendConfig config) {
    this.providers = providers;
    this.config = config;
  }

  static Backends discover(List<BackendProvider> explicit, boolean useServiceLoader,
      ClassLoader classLoader, BackendConfig config) {
    Map<String, BackendProvider> byName = new LinkedHashMap<>();
    for (BackendProvider p : explicit) {
      byName.putIfAbsent(p.name(), p);
    }
    if (useServiceLoader) {
      var it = ServiceLoader.load(BackendProvider.class, classLoader).iterator();
      while (true) {
        try {
          if (!it.hasNext()) {
            break;
          }
          BackendProvider p = it.next();
          if (byName.putIfAbsent(p.name(), p) == null) {
            log.debug("discovered backend provider '{}' ({})", p.name(), p.getClass().getName());
          }
        } catch (ServiceConfigurationError e) {
          log.warn("skipping a backend provider that failed to load: {}", e.getMessage());
        }
      }
    }
    return new Backends(List.copyOf(byName.values()), config);
  }

  List<BackendProvider> providers() {
    return providers;
  }

  /** Returns the backend for an artifact, starting it on first use. */
  synchronized Backend backendFor(ModelArtifact artifact) {
    if (closed) {
      throw new IllegalStateException("the Swell runtime is closed");
    }
    for (BackendProvider p : providers) {
      if (p.canLoad(artifact) && isAvailable(p)) {
        Backend b = started.get(p.name());
        if (b == null) {
          try {
            b = p.create(config);
          } catch (RuntimeException e) {
            throw new BackendException("backend '" + p.name() + "' failed to start: " + e.getMessage(),
                artifact.name(), artifact.version(), e);
          }
          started.put(p.name(), b);
          log.info("started backend '{}'", p.name());
        }
        return b;
      }
    }
    throw new BackendException("no backend can load format '" + artifact.format() + "' ("
        + artifact.file() + "). Backends found: " + describe() + ". Add one to the class path "
        + "(for ONNX models, the Maven artifact dev.swell:swell-onnx) or register it with "
        + "Swell.builder().backend(provider).", artifact.name(), artifact.version(), null);
  }

  private boolean isAvailable(BackendProvider p) {
    return availability.computeIfAbsent(p.name(), n -> {
      try {
        return p.isAvailable();
      } catch (RuntimeException | LinkageError e) {
        log.warn("backend '{}' is not available: {}", n, e.toString());
        return false;
      }
    });
  }

  String describe() {
    if (providers.isEmpty()) {
      return "none";
    }
    List<String> parts = new ArrayList<>();
    for (BackendProvider p : providers) {
      Boolean avail = availability.get(p.name());
      parts.add(p.name() + " " + p.formats()
          + (avail == null ? "" : avail ? " (available)" : " (not available)"));
    }
    return String.join(", ", parts);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closed = true;
    for (Backend b : started.values()) {
      try {
        b.close();
      } catch (RuntimeException e) {
        log.warn("closing backend '{}' failed", b.name(), e);
      }
    }
    started.clear();
  }
}
