package dev.swell.onnx;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.SplittableRandom;

/**
 * A child process for the version-consistency property: reads lines {@code MODEL_FILE IN ROWS SEED},
 * predicts with a freshly loaded model on the input made from the seed, and prints the SHA-256 of
 * the output bytes. Exits on an empty line or end of input.
 */
public final class ConsistencyWorker {

  private ConsistencyWorker() {}

  /**
   * Runs the loop.
   *
   * @param args unused
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    try (Swell swell = Swell.builder().build()) {
      for (String line = in.readLine(); line != null && !line.isBlank(); line = in.readLine()) {
        String[] f = line.split(" ");
        try (Predictor p = swell.load(Path.of(f[0]))) {
          System.out.println(digest(p, Integer.parseInt(f[1]), Integer.parseInt(f[2]), Long.parseLong(f[3])));
          System.out.flush();
        }
      }
    }
  }

  /** The SHA-256 of the model's output bytes for the input made from a seed. */
  static String digest(Predictor p, int in, int rows, long seed) throws Exception {
    Tensor x = RandomTensors.random(DType.FLOAT32, new SplittableRandom(seed), rows, in);
    Tensor y = p.predict(NamedTensors.of("x", x)).output("y");
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    sha.update(y.buffer());
    return HexFormat.of().formatHex(sha.digest());
  }
}
