package dev.swell.samples.server;

import ai.djl.huggingface.tokenizers.Encoding;
import ai.djl.huggingface.tokenizers.HuggingFaceTokenizer;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Path;

/**
 * Sentence embeddings from a MiniLM-style encoder, as a custom route ({@code POST /v1/embed} in
 * {@link ServerMain}): {@code {"texts": ["...", ...]}} answers {@code {"model", "version",
 * "embeddings": [[...], ...]}}, each the attention-masked mean of {@code last_hidden_state},
 * scaled to unit length. Tokenization is Hugging Face's (DJL's binding) from the
 * {@code tokenizer.json} the model ships with, truncated to {@code maxTokens}. A text is cut to
 * {@code 16 × maxTokens} characters before tokenizing: enough for the kept tokens of any text whose
 * words have at most 16 characters on average, and a bound on the cost of a huge one (whole
 * megabytes of text were tokenized before truncation, seconds of CPU each).
 */
public final class EmbeddingRoute implements JsonRoute, AutoCloseable {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final int MAX_TEXTS = 64;

  private final Predictor predictor;
  private final HuggingFaceTokenizer tokenizer;
  private final int maxTokens;

  /**
   * Creates the route.
   *
   * @param predictor the encoder (inputs {@code input_ids}, {@code attention_mask},
   *     {@code token_type_ids}; output {@code last_hidden_state}); not closed by the route
   * @param tokenizerJson the model's {@code tokenizer.json}
   * @param maxTokens the most tokens a text is given, its special tokens included
   * @throws UncheckedIOException if the tokenizer cannot be read
   */
  public EmbeddingRoute(Predictor predictor, Path tokenizerJson, int maxTokens) {
    this.predictor = predictor;
    this.maxTokens = maxTokens;
    try {
      this.tokenizer = HuggingFaceTokenizer.builder().optTokenizerPath(tokenizerJson).optMaxLength(maxTokens)
          .optTruncation(true).optPadding(false).build();
    } catch (IOException e) {
      throw new UncheckedIOException("the tokenizer " + tokenizerJson + " cannot be read", e);
    }
  }

  /**
   * Tokenizes one text as the route does.
   *
   * @param text the text
   * @return the token ids, special tokens included
   */
  long[] tokenIds(String text) {
    return encode(text).getIds();
  }

  private Encoding encode(String text) {
    int cut = 16 * maxTokens;
    return tokenizer.encode(text.length() > cut ? text.substring(0, cut) : text);
  }

  @Override
  public JsonNode handle(JsonNode body) {
    JsonNode texts = body == null ? null : body.get("texts");
    if (texts == null || !texts.isArray() || texts.isEmpty() || texts.size() > MAX_TEXTS) {
      throw new IllegalArgumentException("the body must be {\"texts\": [\"...\", ...]} with 1 to " + MAX_TEXTS + " texts");
    }
    ObjectNode out = F.objectNode();
    ArrayNode embeddings = F.arrayNode();
    String version = null;
    for (int i = 0; i < texts.size(); i++) {
      JsonNode t = texts.get(i);
      if (!t.isTextual()) {
        throw new IllegalArgumentException("texts[" + i + "] is " + t + ", not a string");
      }
      Encoding e = encode(t.asText());
      int n = e.getIds().length;
      Prediction p = predictor.predict(NamedTensors.builder()
          .put("input_ids", Tensor.of(e.getIds(), 1, n))
          .put("attention_mask", Tensor.of(e.getAttentionMask(), 1, n))
          .put("token_type_ids", Tensor.of(e.getTypeIds(), 1, n))
          .build());
      version = p.version();
      embeddings.add(pooled(p.output("last_hidden_state"), e.getAttentionMask()));
    }
    out.put("model", predictor.model()).put("version", version);
    out.set("embeddings", embeddings);
    return out;
  }

  /** The mask-weighted mean over tokens of a [1, tokens, hidden] tensor, scaled to unit length. */
  private static ArrayNode pooled(Tensor hidden, long[] mask) {
    int tokens = (int) hidden.dim(1);
    int width = (int) hidden.dim(2);
    float[] h = hidden.toFloatArray();
    double[] sum = new double[width];
    double count = 0;
    for (int t = 0; t < tokens; t++) {
      if (mask[t] == 0) {
        continue;
      }
      count++;
      for (int j = 0; j < width; j++) {
        sum[j] += h[t * width + j];
      }
    }
    double norm = 0;
    for (int j = 0; j < width; j++) {
      sum[j] /= Math.max(1, count);
      norm += sum[j] * sum[j];
    }
    norm = Math.sqrt(norm);
    ArrayNode a = F.arrayNode(width);
    for (int j = 0; j < width; j++) {
      a.add((float) (norm == 0 ? 0 : sum[j] / norm));
    }
    return a;
  }

  @Override
  public void close() {
    tokenizer.close();
  }
}
