package dev.swell.registry.cli;

import dev.swell.api.SwellException;
import dev.swell.api.spi.Backend;
import dev.swell.api.spi.BackendConfig;
import dev.swell.api.spi.BackendProvider;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.registry.ModelVersion;
import dev.swell.registry.SemVer;
import java.io.PrintStream;
import java.util.ArrayList;
import java.util.List;
import java.util.ServiceLoader;

/**
 * {@code promote --check}: loads a verified version once with the first available backend on the
 * class path that takes its format, so that a file that hashes fine but is no model (or one the
 * runtime cannot load) is refused before an alias names it.
 */
final class LoadCheck {

  private LoadCheck() {}

  static void run(ModelVersion version, String model, SemVer v, PrintStream err) {
    ModelArtifact artifact = new ModelArtifact(model, v.toString(), version.manifest().format(), version.primaryFile());
    List<String> seen = new ArrayList<>();
    for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
      seen.add(p.name() + (p.isAvailable() ? "" : " (unavailable)"));
      if (!p.isAvailable() || !p.canLoad(artifact)) {
        continue;
      }
      long t0 = System.nanoTime();
      try (Backend backend = p.create(BackendConfig.defaults());
           LoadedModel loaded = backend.load(artifact)) {
        err.printf("check: %s %s loaded with %s in %.0f ms on %s; %s%n", model, v, p.name(),
            (System.nanoTime() - t0) / 1e6, loaded.device(), loaded.signature());
        return;
      } catch (SwellException e) {
        throw new CheckFailed(model + " " + v + " does not load with " + p.name() + ": " + e.getMessage(), e);
      } catch (RuntimeException e) {
        throw new CheckFailed(model + " " + v + " does not load with " + p.name() + ": " + e, e);
      }
    }
    throw new IllegalStateException("promote --check: no backend on the class path loads format '"
        + artifact.format() + "' (found: " + (seen.isEmpty() ? "none" : String.join(", ", seen))
        + "); add swell-onnx to the class path, or promote without --check");
  }

  /** The version did not load: the promotion is refused. */
  static final class CheckFailed extends IllegalStateException {
    private static final long serialVersionUID = 1L;

    CheckFailed(String message, Throwable cause) {
      super("refusing to promote: " + message, cause);
    }
  }
}
