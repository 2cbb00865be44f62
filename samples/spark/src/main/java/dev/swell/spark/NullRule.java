package dev.swell.spark;

/** What scoring does with a row whose mapped input columns hold a null (or an array holding one). */
public enum NullRule {
  /**
   * The row is passed through unscored: its output columns, {@code model} and {@code version} are
   * null, since no version scored it. The default.
   */
  SKIP,
  /** The task fails with a {@link ColumnMismatchException} naming the column. */
  FAIL
}
