package dev.swell.core.drift;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Reads a drift reference: a CSV file with one row per sample (of training data, say) and one
 * column per feature. Blank lines and lines starting with {@code #} are skipped, and so is a first
 * line that is not numbers (a header). A model version carries it as {@code drift/<input>.csv}
 * beside its model file, so a file registry publishes, hashes and verifies it with the model:
 *
 * <pre>{@code
 * registry.publish(PublishRequest.builder("fraud").version("1.3.0")
 *     .file(Path.of("fraud.onnx"))
 *     .file(Path.of("train-sample.csv"), "drift/x.csv")
 *     .build());
 * }</pre>
 */
public final class DriftReference {

  private DriftReference() {}

  /**
   * Reads a reference file.
   *
   * @param file the CSV file
   * @param features how many columns each row must have
   * @return one array of values per feature
   * @throws IllegalArgumentException naming the line, if a row is not {@code features} numbers
   * @throws IOException if the file cannot be read
   */
  public static double[][] readCsv(Path file, int features) throws IOException {
    List<double[]> rows = new ArrayList<>();
    List<String> lines = Files.readAllLines(file, StandardCharsets.UTF_8);
    for (int i = 0; i < lines.size(); i++) {
      String line = lines.get(i).strip();
      if (line.isEmpty() || line.startsWith("#")) {
        continue;
      }
      String[] cells = line.split(",", -1);
      double[] row = new double[cells.length];
      try {
        for (int c = 0; c < cells.length; c++) {
          row[c] = Double.parseDouble(cells[c].strip());
        }
      } catch (NumberFormatException e) {
        if (rows.isEmpty() && !headerSeen(lines, i)) {
          continue; // the header
        }
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected " + features
            + " numbers separated by commas, got '" + line + "'");
      }
      if (row.length != features) {
        throw new IllegalArgumentException(file + " line " + (i + 1) + ": expected " + features
            + " columns, got " + row.length);
      }
      rows.add(row);
    }
    double[][] columns = new double[features][rows.size()];
    for (int r = 0; r < rows.size(); r++) {
      for (int f = 0; f < features; f++) {
        columns[f][r] = rows.get(r)[f];
      }
    }
    return columns;
  }

  /** Whether a line before {@code i} was already taken as the header. */
  private static boolean headerSeen(List<String> lines, int i) {
    for (int k = 0; k < i; k++) {
      String l = lines.get(k).strip();
      if (!l.isEmpty() && !l.startsWith("#")) {
        return true;
      }
    }
    return false;
  }
}
