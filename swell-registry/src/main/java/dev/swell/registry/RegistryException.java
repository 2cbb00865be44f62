package dev.swell.registry;

import dev.swell.api.SwellException;

/**
 * The base of the registry's domain failures: a well-formed request the registry's state refuses.
 * Subclasses say why ({@link RegistryConflictException}, {@link SourceChangedException},
 * {@link RegistryFormatException}); a missing model, version or alias is a
 * {@link dev.swell.api.ModelNotFoundException}, damaged content an
 * {@link dev.swell.api.IntegrityException}. A refused command changes nothing.
 */
public class RegistryException extends SwellException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what was refused, and what to do instead
   * @param model the model concerned, or null
   * @param version the version concerned, or null
   * @param cause the underlying failure, or null
   */
  public RegistryException(String message, String model, String version, Throwable cause) {
    super(message, model, version, cause);
  }
}
