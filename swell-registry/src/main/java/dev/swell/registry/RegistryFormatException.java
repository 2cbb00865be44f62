package dev.swell.registry;

/**
 * The folder is not a registry this version of Swell can open: a file stands where the registry's
 * folder should be, or the registry was written in a newer layout (upgrade Swell; it never
 * rewrites a layout it does not know).
 */
public class RegistryFormatException extends RegistryException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what was found, and what was expected
   * @param cause the underlying failure, or null
   */
  public RegistryFormatException(String message, Throwable cause) {
    super(message, null, null, cause);
  }
}
