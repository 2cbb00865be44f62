package dev.swell.core.testkit;

import java.util.SplittableRandom;

/**
 * Deterministic weights of the test MLP {@code y = relu(x·W1 + b1)·W2 + b2}, generated from a seed,
 * so that every backend's test model and the pure-Java oracle agree on them.
 *
 * <p>Generation order, all from one {@code SplittableRandom(seed)}: W1 ({@code in × hidden},
 * row-major), b1 ({@code hidden}), W2 ({@code hidden × out}, row-major), b2 ({@code out}). Each
 * weight is {@code (float) ((r.nextDouble() * 2 - 1) / Math.sqrt(fanIn))}, each bias
 * {@code (float) ((r.nextDouble() * 2 - 1) * 0.1)}.
 *
 * @param in input width
 * @param hidden hidden width
 * @param out output width
 * @param w1 first layer weights, {@code in × hidden}, row-major
 * @param b1 first layer bias
 * @param w2 second layer weights, {@code hidden × out}, row-major
 * @param b2 second layer bias
 */
public record MlpWeights(
    int in, int hidden, int out, float[] w1, float[] b1, float[] w2, float[] b2) {

  /**
   * Generates the weights for a seed.
   *
   * @param in input width
   * @param hidden hidden width
   * @param out output width
   * @param seed the seed
   * @return the weights
   */
  public static MlpWeights generate(int in, int hidden, int out, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    float[] w1 = weights(r, in * hidden, in);
    float[] b1 = biases(r, hidden);
    float[] w2 = weights(r, hidden * out, hidden);
    float[] b2 = biases(r, out);
    return new MlpWeights(in, hidden, out, w1, b1, w2, b2);
  }

  private static float[] weights(SplittableRandom r, int n, int fanIn) {
    float[] a = new float[n];
    double scale = 1 / Math.sqrt(fanIn);
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((r.nextDouble() * 2 - 1) * scale);
    }
    return a;
  }

  private static float[] biases(SplittableRandom r, int n) {
    float[] a = new float[n];
    for (int i = 0; i < n; i++) {
      a[i] = (float) ((r.nextDouble() * 2 - 1) * 0.1);
    }
    return a;
  }

  /**
   * Computes the MLP in plain Java (float accumulation in index order) for {@code rows} rows.
   * Backends may differ from this in the last bits; compare with a tolerance.
   *
   * @param x input, {@code rows × in}, row-major
   * @param rows number of rows
   * @return output, {@code rows × out}, row-major
   */
  public float[] apply(float[] x, int rows) {
    float[] y = new float[rows * out];
    float[] h = new float[hidden];
    for (int row = 0; row < rows; row++) {
      for (int j = 0; j < hidden; j++) {
        float s = b1[j];
        for (int i = 0; i < in; i++) {
          s += x[row * in + i] * w1[i * hidden + j];
        }
        h[j] = Math.max(0f, s);
      }
      for (int k = 0; k < out; k++) {
        float s = b2[k];
        for (int j = 0; j < hidden; j++) {
          s += h[j] * w2[j * out + k];
        }
        y[row * out + k] = s;
      }
    }
    return y;
  }
}
