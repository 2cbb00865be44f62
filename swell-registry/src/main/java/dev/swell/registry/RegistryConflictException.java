package dev.swell.registry;

/**
 * The change conflicts with what the registry holds now: the version number is taken (it exists,
 * it was deleted and numbers are never reused, it differs from another only in letter case, or a
 * concurrent publish took it), the version is still named by an alias, an alias has no earlier
 * target to roll back to, an experiment exists already or no longer exists, or the models of an
 * archive exist in the target. Read the registry again and decide; retrying the same change fails
 * the same way.
 */
public class RegistryConflictException extends RegistryException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message what conflicts, and what to do instead
   * @param model the model concerned, or null
   * @param version the version concerned, or null
   */
  public RegistryConflictException(String message, String model, String version) {
    super(message, model, version, null);
  }
}
