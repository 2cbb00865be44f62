package dev.swell.spark;

import dev.swell.api.InvalidInputException;

/**
 * A Dataset column does not fit the model input it is mapped to: its Spark type, its array
 * length or nesting, or a null where nulls are refused. Says which column, which model input, what
 * the input takes and what the column holds.
 */
public final class ColumnMismatchException extends InvalidInputException {

  private static final long serialVersionUID = 1L;

  private final String column;

  /**
   * Creates an exception.
   *
   * @param model the model
   * @param version the pinned version, or null before one is pinned
   * @param column the Dataset column at fault
   * @param input the model input it is mapped to, or null when it maps to none
   * @param expected what the model input takes, such as {@code array<float> of 16 elements}
   * @param actual what the column holds
   */
  public ColumnMismatchException(String model, String version, String column, String input, String expected,
      String actual) {
    super(model, version, input, expected, "column '" + column + "': " + actual);
    this.column = column;
  }

  /**
   * Returns the column at fault.
   *
   * @return the column's name
   */
  public String column() {
    return column;
  }
}
