package dev.swell.api;

/**
 * An input did not match the model's {@link Signature}: a missing or unknown name, a null tensor, a
 * wrong dtype or rank, a fixed dimension of the wrong size, an empty batch, or a tensor over the
 * size limit. Thrown before any native code sees the input.
 */
public class InvalidInputException extends SwellException {

  private static final long serialVersionUID = 1L;

  private final String input;
  private final String expected;
  private final String actual;

  /**
   * Creates an exception.
   *
   * @param model the model, or null
   * @param version the version, or null
   * @param input the input's name, or null when the problem is not one input's
   * @param expected what the model expects, such as {@code float32[?x16]}
   * @param actual what came, such as {@code int64[2x16]}
   */
  public InvalidInputException(
      String model, String version, String input, String expected, String actual) {
    super(describe(input, expected, actual), model, version, null);
    this.input = input;
    this.expected = expected;
    this.actual = actual;
  }

  /**
   * Returns the name of the input at fault.
   *
   * @return the name, or null when the problem is not one input's
   */
  public String input() {
    return input;
  }

  /**
   * Returns what the model expects.
   *
   * @return a short description
   */
  public String expected() {
    return expected;
  }

  /**
   * Returns what came.
   *
   * @return a short description
   */
  public String actual() {
    return actual;
  }

  private static String describe(String input, String expected, String actual) {
    return (input == null ? "invalid input" : "input '" + input + "'")
        + ": expected " + expected + ", got " + actual;
  }
}
