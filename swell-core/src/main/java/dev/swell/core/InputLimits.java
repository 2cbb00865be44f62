package dev.swell.core;

/**
 * How large one request may be: elements in one input tensor, bytes over all its inputs (strings
 * counted by their UTF-16 length, two bytes a character), and characters in one string element.
 * A request over a limit is refused with an {@link dev.swell.api.InvalidInputException} naming the
 * limit, before any native code sees it.
 *
 * @param maxElements elements in one input tensor, at least 1
 * @param maxRequestBytes bytes of all the inputs of one request, at least 1
 * @param maxStringChars characters in one string element, at least 1
 */
public record InputLimits(long maxElements, long maxRequestBytes, int maxStringChars) {

  /** 256 Mi elements per tensor, 2 GiB per request, 16 Mi characters per string. */
  public static final InputLimits DEFAULTS = new InputLimits(1L << 28, 2L << 30, 1 << 24);

  /**
   * Validates the limits.
   *
   * @param maxElements elements in one input tensor
   * @param maxRequestBytes bytes of one request's inputs
   * @param maxStringChars characters in one string element
   */
  public InputLimits {
    if (maxElements < 1 || maxRequestBytes < 1 || maxStringChars < 1) {
      throw new IllegalArgumentException("input limits must be at least 1: elements " + maxElements + ", bytes "
          + maxRequestBytes + ", string characters " + maxStringChars);
    }
  }

  /**
   * A copy with another element limit.
   *
   * @param max elements in one input tensor
   * @return the limits
   */
  public InputLimits withMaxElements(long max) {
    return new InputLimits(max, maxRequestBytes, maxStringChars);
  }

  /**
   * A copy with another request size limit.
   *
   * @param max bytes of one request's inputs
   * @return the limits
   */
  public InputLimits withMaxRequestBytes(long max) {
    return new InputLimits(maxElements, max, maxStringChars);
  }

  /**
   * A copy with another string length limit.
   *
   * @param max characters in one string element
   * @return the limits
   */
  public InputLimits withMaxStringChars(int max) {
    return new InputLimits(maxElements, maxRequestBytes, max);
  }
}
