package dev.swell.api.spi;

/**
 * A started inference engine that loads models. Made by a {@link BackendProvider}.
 *
 * <p>Thread-safe. Closing it does not close the models it loaded; close those first.
 */
public interface Backend extends AutoCloseable {

  /**
   * Returns the name of the provider that made this backend.
   *
   * @return the name, such as {@code onnxruntime}
   */
  String name();

  /**
   * Loads a model.
   *
   * @param artifact the model file and identity
   * @return the loaded model; the caller closes it
   * @throws dev.swell.api.BackendException if the file cannot be read or is not a valid model
   */
  LoadedModel load(ModelArtifact artifact);

  /** Releases what the backend holds. Idempotent. */
  @Override
  void close();
}
