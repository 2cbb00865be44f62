package dev.swell.api;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * Runs a model: validates inputs against its {@link Signature}, runs the backend, and returns the
 * outputs with the identity of the version that served them.
 *
 * <p>Implementations are thread-safe: any number of threads may call {@code predict} at once. A
 * predictor obtained from a Swell runtime stays valid until it or the runtime is closed; after
 * that, calls throw {@link IllegalStateException}.
 *
 * <pre>{@code
 * try (Predictor p = swell.load(Path.of("model.onnx"))) {
 *   Prediction out = p.predict(NamedTensors.of("x", Tensor.of(features, 1, 16)));
 *   float[] y = out.output("y").toFloatArray();
 * }
 * }</pre>
 */
public interface Predictor extends AutoCloseable {

  /**
   * Returns the model's name.
   *
   * @return the name
   */
  String model();

  /**
   * Returns the version currently served (it may change over time for a predictor that follows
   * an alias).
   *
   * @return the version
   */
  String version();

  /**
   * Returns the signature of the version currently served.
   *
   * @return the inputs and outputs
   */
  Signature signature();

  /**
   * Runs the model once.
   *
   * @param inputs one tensor per model input, by name
   * @return the outputs and who served them
   * @throws NullPointerException if {@code inputs} is null
   * @throws InvalidInputException if the inputs do not match the signature
   * @throws BackendException if the backend fails
   * @throws IllegalStateException if the predictor is closed
   */
  Prediction predict(NamedTensors inputs);

  /**
   * Runs the model once with per-request options: a deadline (the request fails with
   * {@link DeadlineExceededException} rather than run late, and is cancelled in the backend if
   * it is running), a priority (low requests are shed first under overload), a unit key and a
   * request id (handed back in the prediction).
   *
   * @param inputs one tensor per model input, by name
   * @param options the options
   * @return the outputs and who served them
   * @throws InvalidInputException if the inputs do not match the signature
   * @throws DeadlineExceededException if the deadline passed first
   * @throws OverloadException if the model is overloaded for the request's priority
   * @throws BackendException if the backend fails
   * @throws IllegalStateException if the predictor is closed
   */
  Prediction predict(NamedTensors inputs, RequestOptions options);

  /**
   * Runs the model once with a single input.
   *
   * @param input the input's name
   * @param tensor its value
   * @return the outputs and who served them
   * @throws InvalidInputException if the input does not match the signature
   * @throws BackendException if the backend fails
   * @throws IllegalStateException if the predictor is closed
   */
  default Prediction predict(String input, Tensor tensor) {
    return predict(NamedTensors.of(input, tensor));
  }

  /**
   * Runs several requests together. Requests whose inputs have a batch (first) dimension are
   * joined along it into one backend call and the outputs split back, so that the results equal
   * those of separate calls; a predictor may also run them one by one.
   *
   * @param requests the requests, each a full set of inputs; not empty
   * @return one prediction per request, in order
   * @throws InvalidInputException if any request is invalid (none is run then)
   * @throws BackendException if the backend fails
   * @throws IllegalStateException if the predictor is closed
   */
  List<Prediction> predictBatch(List<NamedTensors> requests);

  /**
   * Runs the model once without blocking the caller. Failures, including invalid input,
   * complete the future exceptionally.
   *
   * @param inputs one tensor per model input, by name
   * @return the future prediction
   */
  CompletableFuture<Prediction> predictAsync(NamedTensors inputs);

  /**
   * Releases what this predictor holds. Idempotent. In-flight calls finish first.
   */
  @Override
  void close();
}
