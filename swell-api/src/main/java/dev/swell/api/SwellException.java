package dev.swell.api;

/**
 * The base of Swell's domain failures: unchecked, carrying the model name and version concerned
 * when they are known.
 *
 * <p>API misuse (a null argument, a closed object) is reported with the JDK's own exceptions
 * instead; subclasses of this one mean the call was well formed but could not be served.
 */
public class SwellException extends RuntimeException {

  private static final long serialVersionUID = 1L;

  private final String model;
  private final String version;

  /**
   * Creates an exception.
   *
   * @param message what went wrong and what to do next
   * @param model the model concerned, or null
   * @param version the version concerned, or null
   * @param cause the underlying failure, or null
   */
  public SwellException(String message, String model, String version, Throwable cause) {
    super(prefix(model, version) + message, cause);
    this.model = model;
    this.version = version;
  }

  /**
   * Creates an exception that may skip filling in its stack trace, for rejections on hot paths.
   *
   * @param message what went wrong and what to do next
   * @param model the model concerned, or null
   * @param version the version concerned, or null
   * @param writableStackTrace false to skip the stack trace
   */
  protected SwellException(String message, String model, String version, boolean writableStackTrace) {
    super(prefix(model, version) + message, null, false, writableStackTrace);
    this.model = model;
    this.version = version;
  }

  /**
   * Returns the model concerned.
   *
   * @return its name, or null if not known
   */
  public String model() {
    return model;
  }

  /**
   * Returns the version concerned.
   *
   * @return the version, or null if not known
   */
  public String version() {
    return version;
  }

  private static String prefix(String model, String version) {
    if (model == null) {
      return "";
    }
    return version == null ? "model '" + model + "': " : "model '" + model + "' " + version + ": ";
  }
}
