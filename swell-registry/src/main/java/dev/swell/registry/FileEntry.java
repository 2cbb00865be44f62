package dev.swell.registry;

import java.util.Objects;

/**
 * One artifact file of a version, as its manifest records it.
 *
 * @param path the file's path relative to the version's {@code files} folder, with {@code /}
 * @param size its size in bytes
 * @param sha256 its SHA-256 digest, lower-case hex
 */
public record FileEntry(String path, long size, String sha256) {

  /**
   * Validates the components.
   *
   * @param path relative path
   * @param size bytes
   * @param sha256 hex digest
   */
  public FileEntry {
    Objects.requireNonNull(path, "path");
    Objects.requireNonNull(sha256, "sha256");
    if (size < 0) {
      throw new IllegalArgumentException("size must be >= 0, was " + size);
    }
  }
}
