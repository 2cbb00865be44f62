package dev.swell.api;

/**
 * A call's deadline passed before it could be served. It carries no stack trace: it is an expected
 * outcome under load.
 */
public class DeadlineExceededException extends SwellException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message which deadline and by how much
   * @param model the model
   * @param version the version, or null
   */
  public DeadlineExceededException(String message, String model, String version) {
    super(message, model, version, false);
  }
}
