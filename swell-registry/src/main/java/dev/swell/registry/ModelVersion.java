package dev.swell.registry;

import java.nio.file.Path;
import java.util.Objects;

/**
 * A published version whose files were checked against its manifest: where it lies and what it is.
 *
 * @param manifest the version's manifest
 * @param directory the folder holding its files
 */
public record ModelVersion(Manifest manifest, Path directory) {

  /**
   * Validates the components.
   *
   * @param manifest manifest
   * @param directory folder of the files
   */
  public ModelVersion {
    Objects.requireNonNull(manifest, "manifest");
    Objects.requireNonNull(directory, "directory");
  }

  /**
   * Returns the primary file's path, the one a backend loads.
   *
   * @return the path
   */
  public Path primaryFile() {
    return file(manifest.primaryFile());
  }

  /**
   * Returns the path of one of the version's files.
   *
   * @param relativePath the file's path as the manifest records it
   * @return the path
   */
  public Path file(String relativePath) {
    return directory.resolve(relativePath);
  }
}
