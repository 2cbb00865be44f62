package dev.swell.core.batch;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;

/**
 * Lets dynamic batching join requests whose sequence inputs differ in length (opt-in, through
 * {@link BatchPolicy#padding}): the named inputs are padded along dimension 1 to the longest
 * request of the batch with the value given for each, the attention mask with 0, and the named
 * sequence outputs are cut back along dimension 1 to each request's own length. A request's
 * length is its mask's dimension 1. Outputs not named are split by rows only, so they must not
 * depend on the sequence length (a pooled output that ignores masked positions, say).
 *
 * <pre>{@code
 * BatchPolicy.maxRows(16).padding(SequencePadding.mask("attention_mask")
 *     .pad("input_ids", 0).pad("token_type_ids", 0).outputs("last_hidden_state"))
 * }</pre>
 *
 * <p>Only for models whose answers at unmasked positions do not depend on what is at masked ones
 * (transformer encoders with an attention mask). Equal answers with and without padding are exact
 * when the model's arithmetic does not depend on the sequence length; a transformer's matrix
 * products over a longer axis may sum in another order, which changes the last bits (measured
 * for all-MiniLM-L6-v2 in the project README). Immutable.
 */
public final class SequencePadding {

  private final String mask;
  private final Map<String, Double> values;
  private final Set<String> outputs;

  private SequencePadding(String mask, Map<String, Double> values, Set<String> outputs) {
    this.mask = mask;
    this.values = Collections.unmodifiableMap(values);
    this.outputs = Collections.unmodifiableSet(outputs);
  }

  /**
   * Starts a padding whose attention mask is this input (padded with 0; its dimension 1 is each
   * request's length).
   *
   * @param attentionMask the mask input's name
   * @return the padding
   */
  public static SequencePadding mask(String attentionMask) {
    Objects.requireNonNull(attentionMask, "attentionMask");
    Map<String, Double> v = new LinkedHashMap<>();
    v.put(attentionMask, 0.0);
    return new SequencePadding(attentionMask, v, new LinkedHashSet<>());
  }

  /**
   * Returns a copy that also pads this input, with this value (converted to the input's dtype;
   * a string input is padded with empty strings).
   *
   * @param input an input's name, not the mask
   * @param value the padding value
   * @return the padding
   */
  public SequencePadding pad(String input, double value) {
    Objects.requireNonNull(input, "input");
    if (input.equals(mask)) {
      throw new IllegalArgumentException("'" + input + "' is the attention mask: it is padded with 0");
    }
    Map<String, Double> v = new LinkedHashMap<>(values);
    v.put(input, value);
    return new SequencePadding(mask, v, new LinkedHashSet<>(outputs));
  }

  /**
   * Returns a copy that cuts these outputs back along dimension 1 to each request's length.
   *
   * @param names output names
   * @return the padding
   */
  public SequencePadding outputs(String... names) {
    Set<String> o = new LinkedHashSet<>(outputs);
    for (String n : names) {
      o.add(Objects.requireNonNull(n, "output name"));
    }
    return new SequencePadding(mask, new LinkedHashMap<>(values), o);
  }

  /**
   * Returns the attention mask's input name.
   *
   * @return the mask
   */
  public String maskInput() {
    return mask;
  }

  /**
   * Returns the padded inputs and their padding values, the mask included (0).
   *
   * @return input name to value
   */
  public Map<String, Double> inputs() {
    return values;
  }

  /**
   * Returns the outputs cut back to each request's length.
   *
   * @return output names
   */
  public Set<String> outputs() {
    return outputs;
  }

  @Override
  public boolean equals(Object o) {
    return o instanceof SequencePadding p && p.mask.equals(mask) && p.values.equals(values) && p.outputs.equals(outputs);
  }

  @Override
  public int hashCode() {
    return Objects.hash(mask, values, outputs);
  }

  @Override
  public String toString() {
    return "SequencePadding[mask=" + mask + ", inputs=" + values + ", outputs=" + outputs + "]";
  }
}
