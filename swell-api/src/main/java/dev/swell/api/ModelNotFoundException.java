package dev.swell.api;

/** No model, or no version of it, matches what was asked for. */
public class ModelNotFoundException extends SwellException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what was looked for and where
   * @param model the model name
   * @param version the version or selector asked for, or null
   */
  public ModelNotFoundException(String message, String model, String version) {
    super(message, model, version, null);
  }
}
