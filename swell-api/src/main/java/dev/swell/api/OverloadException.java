package dev.swell.api;

/**
 * A call was rejected at once because the model's queue or concurrency limit was full. It carries
 * no stack trace: it is an expected outcome under load, and cheap. Retry later or shed the load.
 */
public class OverloadException extends SwellException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message which limit was reached
   * @param model the model
   * @param version the version, or null
   */
  public OverloadException(String message, String model, String version) {
    super(message, model, version, false);
  }
}
