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
}
