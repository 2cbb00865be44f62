package dev.swell.api;

import java.util.Objects;
import java.util.Optional;

/**
 * The result of one prediction: the output tensors, and the identity of what served them (model,
 * version and, inside an experiment, the variant), so that a host can log it and an experiment can
 * attribute outcomes.
 *
 * <pre>{@code
 * Prediction p = predictor.predict(inputs);
 * float[] scores = p.output("y").toFloatArray();
 * log.info("served by {} {}", p.model(), p.version());
 * }</pre>
 */
public final class Prediction {

  private final NamedTensors outputs;
  private final String model;
  private final String version;
  private final String variant;
  private final boolean cached;
  private final String requestId;

  private Prediction(NamedTensors outputs, String model, String version, String variant, boolean cached,
      String requestId) {
    this.outputs = Objects.requireNonNull(outputs, "outputs");
    this.model = Objects.requireNonNull(model, "model");
    this.version = Objects.requireNonNull(version, "version");
    this.variant = variant;
    this.cached = cached;
    this.requestId = requestId;
  }

  /**
   * Creates a prediction served outside any experiment.
   *
   * @param outputs the output tensors
   * @param model the model's name
   * @param version the version that served it
   * @return the prediction
   */
  public static Prediction of(NamedTensors outputs, String model, String version) {
    return new Prediction(outputs, model, version, null, false, null);
  }

  /**
   * Creates a prediction answered from a result cache: the version's outputs for an identical
   * earlier request, without running the model.
   *
   * @param outputs the cached output tensors
   * @param model the model's name
   * @param version the version whose answer it is
   * @return the prediction, {@link #cached()} true
   */
  public static Prediction fromCache(NamedTensors outputs, String model, String version) {
    return new Prediction(outputs, model, version, null, true, null);
  }

  /**
   * Returns a copy that names the experiment variant that served it.
   *
   * @param variant the variant's name
   * @return the copy
   */
  public Prediction withVariant(String variant) {
    return new Prediction(outputs, model, version, Objects.requireNonNull(variant, "variant"), cached, requestId);
  }

  /**
   * Returns a copy that carries the id of the request it answers.
   *
   * @param id the request's id
   * @return the copy
   */
  public Prediction withRequestId(String id) {
    return new Prediction(outputs, model, version, variant, cached, Objects.requireNonNull(id, "id"));
  }

  /**
   * Returns the id of the request it answers ({@link RequestOptions#requestId()}).
   *
   * @return the id, or empty
   */
  public Optional<String> requestId() {
    return Optional.ofNullable(requestId);
  }

  /**
   * Returns the output tensors in the model's order.
   *
   * @return the outputs
   */
  public NamedTensors outputs() {
    return outputs;
  }

  /**
   * Returns one output.
   *
   * @param name the output's name
   * @return the tensor
   * @throws IllegalArgumentException if there is no output of that name
   */
  public Tensor output(String name) {
    return outputs.require(name);
  }

  /**
   * Returns the name of the model that served this prediction.
   *
   * @return the model name
   */
  public String model() {
    return model;
  }

  /**
   * Returns the version that served this prediction.
   *
   * @return the version
   */
  public String version() {
    return version;
  }

  /**
   * Returns the experiment variant that served this prediction.
   *
   * @return the variant, or empty outside an experiment
   */
  public Optional<String> variant() {
    return Optional.ofNullable(variant);
  }

  /**
   * Returns whether the answer came from a result cache rather than a model call (so its latency
   * says nothing of the model's).
   *
   * @return true for a cache hit
   */
  public boolean cached() {
    return cached;
  }

  @Override
  public String toString() {
    return "Prediction[" + model + " " + version + (variant == null ? "" : " variant " + variant)
        + (cached ? " cached" : "") + " " + outputs + "]";
  }
}
