package dev.swell.registry;

/**
 * A file being published changed while it was copied (it was still being written, truncated or
 * appended to): nothing was published. Publish again once the file is complete.
 */
public class SourceChangedException extends RegistryException {

  private static final long serialVersionUID = 1L;

  /**
   * Creates an exception.
   *
   * @param message which file changed, and how
   * @param model the model being published
   */
  public SourceChangedException(String message, String model) {
    super(message, model, null, null);
  }
}
