package dev.swell.api;

/**
 * A model version's files are not what its manifest says (size or hash mismatch, a missing or
 * unreadable manifest). Such a version is never served.
 */
public class IntegrityException extends SwellException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message which file differs and how
   * @param model the model
   * @param version the version
   * @param cause the underlying failure, or null
   */
  public IntegrityException(String message, String model, String version, Throwable cause) {
    super(message, model, version, cause);
  }
}
