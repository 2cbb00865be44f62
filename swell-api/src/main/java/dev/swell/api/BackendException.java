package dev.swell.api;

/**
 * An inference backend failed: no backend can load an artifact, a model failed to load, or a
 * native call failed while running it. The native error is the cause.
 */
public class BackendException extends SwellException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what failed and what to do next
   * @param model the model, or null
   * @param version the version, or null
   * @param cause the native failure, or null
   */
  public BackendException(String message, String model, String version, Throwable cause) {
    super(message, model, version, cause);
  }
}
