package dev.swell.api.spi;

import dev.swell.api.VersionSelector;

/**
 * Where model versions come from: resolves a model name and a {@link VersionSelector} to one
 * version's artifact. Swell's file-backed registry implements it; so can an object-store client.
 *
 * <p>Implementations are thread-safe.
 */
public interface ModelRepository {

  /**
   * Resolves a selector to one version, verified and ready to load.
   *
   * @param model the model's name
   * @param selector which version
   * @return the artifact of the selected version
   * @throws dev.swell.api.ModelNotFoundException if the model or a matching version is absent
   * @throws dev.swell.api.IntegrityException if the version's files do not match its manifest
   */
  ModelArtifact resolve(String model, VersionSelector selector);

  /**
   * Asks to be told when a model's versions or aliases may have changed, so that a runtime
   * following an alias can re-resolve at once instead of at its next periodic refresh. The
   * default tells nothing: the runtime's periodic refresh still notices every change.
   *
   * @param listener receives the name of a model that changed; called on the repository's thread
   * @return a handle that stops the notifications when closed
   */
  default AutoCloseable watch(java.util.function.Consumer<String> listener) {
    return () -> { };
  }
}
