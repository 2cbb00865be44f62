package dev.swell.samples.quickstart;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import java.util.List;

/**
 * Turns sentences into unit-length sentence embeddings with a MiniLM {@link Predictor}: tokenize,
 * pad the batch to its longest sentence, run, then mean-pool the token vectors under the attention
 * mask and L2-normalize.
 */
public final class Embedder {

  private final Predictor predictor;
  private final BertTokenizer tokenizer;
  private final int maxTokens;

  /**
   * Creates an embedder.
   *
   * @param predictor a predictor of all-MiniLM-L6-v2 (inputs input_ids, attention_mask,
   *     token_type_ids; output last_hidden_state)
   * @param tokenizer its tokenizer
   * @param maxTokens the most tokens per sentence, [CLS] and [SEP] included
   */
  public Embedder(Predictor predictor, BertTokenizer tokenizer, int maxTokens) {
    this.predictor = predictor;
    this.tokenizer = tokenizer;
    this.maxTokens = maxTokens;
  }

  /**
   * Sentence embeddings and the model version that computed them.
   *
   * @param model the model's name
   * @param version the version that served the call
   * @param vectors one unit vector per sentence
   */
  public record Embeddings(String model, String version, float[][] vectors) {}

  /**
   * Embeds sentences in one model call.
   *
   * @param sentences the sentences
   * @return one unit vector per sentence
   */
  public float[][] embed(List<String> sentences) {
    return embedAll(sentences).vectors();
  }

  /**
   * Embeds sentences in one model call, saying which version served them.
   *
   * @param sentences the sentences, at least one
   * @return the vectors, with the model and version
   * @throws IllegalArgumentException if there are no sentences
   */
  public Embeddings embedAll(List<String> sentences) {
    Batch batch = batch(sentences);
    dev.swell.api.Prediction prediction = predictor.predict(batch.inputs());
    return new Embeddings(prediction.model(), prediction.version(), pool(prediction, batch.lengths()));
  }

  /**
   * Tokenized sentences ready for the model, with each one's token count (for pooling).
   *
   * @param inputs input_ids, attention_mask and token_type_ids, [sentences, longest]
   * @param lengths tokens per sentence, [CLS] and [SEP] included
   */
  public record Batch(NamedTensors inputs, int[] lengths) {}

  /**
   * Tokenizes sentences and pads them to the longest.
   *
   * @param sentences the sentences, at least one
   * @return the model inputs and lengths
   * @throws IllegalArgumentException if there are no sentences
   */
  public Batch batch(List<String> sentences) {
    if (sentences.isEmpty()) {
      throw new IllegalArgumentException("no sentences to embed");
    }
    int n = sentences.size();
    long[][] ids = new long[n][];
    int seq = 0;
    for (int i = 0; i < n; i++) {
      ids[i] = tokenizer.encode(sentences.get(i), maxTokens);
      seq = Math.max(seq, ids[i].length);
    }
    long[] flatIds = new long[n * seq];
    long[] mask = new long[n * seq];
    int[] lengths = new int[n];
    for (int i = 0; i < n; i++) {
      lengths[i] = ids[i].length;
      for (int j = 0; j < ids[i].length; j++) {
        flatIds[i * seq + j] = ids[i][j];
        mask[i * seq + j] = 1;
      }
    }
    NamedTensors inputs = NamedTensors.builder()
        .put("input_ids", Tensor.of(flatIds, n, seq))
        .put("attention_mask", Tensor.of(mask, n, seq))
        .put("token_type_ids", Tensor.of(new long[n * seq], n, seq))
        .build();
    return new Batch(inputs, lengths);
  }

  /**
   * Mean-pools a prediction's token vectors under each sentence's length and L2-normalizes them.
   *
   * @param prediction the model's answer for a {@link Batch}
   * @param lengths the batch's lengths
   * @return one unit vector per sentence
   */
  public static float[][] pool(dev.swell.api.Prediction prediction, int[] lengths) {
    Tensor hidden = prediction.output("last_hidden_state");
    int seq = (int) hidden.dim(1);
    int dim = (int) hidden.dim(2);
    float[] h = hidden.toFloatArray();
    int n = lengths.length;
    float[][] out = new float[n][dim];
    for (int i = 0; i < n; i++) {
      for (int j = 0; j < lengths[i]; j++) {
        for (int k = 0; k < dim; k++) {
          out[i][k] += h[(i * seq + j) * dim + k];
        }
      }
      double norm = 0;
      for (int k = 0; k < dim; k++) {
        out[i][k] /= lengths[i];
        norm += out[i][k] * out[i][k];
      }
      float inv = (float) (1 / Math.sqrt(norm));
      for (int k = 0; k < dim; k++) {
        out[i][k] *= inv;
      }
    }
    return out;
  }

  /**
   * Returns the cosine similarity of two unit vectors (their dot product).
   *
   * @param a a unit vector
   * @param b a unit vector
   * @return the similarity, from -1 to 1
   */
  public static double cosine(float[] a, float[] b) {
    double s = 0;
    for (int i = 0; i < a.length; i++) {
      s += a[i] * b[i];
    }
    return s;
  }
}
