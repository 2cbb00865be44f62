package dev.swell.api.spi;

import java.nio.file.Path;
import java.util.Locale;
import java.util.Objects;

/**
 * A model version's file, ready to load: who it is (name and version), what format it is in
 * (such as {@code onnx}) and where it lies.
 *
 * @param name the model's name
 * @param version the version
 * @param format the format, lower case, such as {@code onnx}
 * @param file the model file
 */
public record ModelArtifact(String name, String version, String format, Path file) {

  /**
   * Validates the components.
   *
   * @param name the model's name
   * @param version the version
   * @param format the format
   * @param file the model file
   */
  public ModelArtifact {
    Objects.requireNonNull(name, "name");
    Objects.requireNonNull(version, "version");
    Objects.requireNonNull(format, "format");
    Objects.requireNonNull(file, "file");
    format = format.toLowerCase(Locale.ROOT);
  }

  /**
   * Describes a file, taking the format from its extension ({@code model.onnx} is {@code onnx}).
   *
   * @param name the model's name
   * @param version the version
   * @param file the file
   * @return the artifact
   */
  public static ModelArtifact ofFile(String name, String version, Path file) {
    String fileName = String.valueOf(file.getFileName());
    int dot = fileName.lastIndexOf('.');
    String format = dot < 0 ? "" : fileName.substring(dot + 1);
    return new ModelArtifact(name, version, format, file);
  }
}
