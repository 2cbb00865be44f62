package dev.swell.api.spi;

import dev.swell.api.NamedTensors;
import dev.swell.api.Signature;

/**
 * A model loaded into a backend, ready to run.
 *
 * <p>{@link #run(NamedTensors)} is thread-safe. The caller (Swell's runtime) has validated the
 * inputs against {@link #signature()} already; an implementation still turns any native failure
 * into a {@link dev.swell.api.BackendException} and never lets bad input crash the process.
 * {@link #close()} is idempotent; {@code run} after {@code close} throws
 * {@link IllegalStateException}.
 */
public interface LoadedModel extends AutoCloseable {

  /**
   * Returns the model's inputs and outputs as the backend reads them.
   *
   * @return the signature
   */
  Signature signature();

  /**
   * Returns where the model runs, such as {@code cpu} or {@code cuda:0}.
   *
   * @return the device or execution provider
   */
  String device();

  /**
   * Runs the model once.
   *
   * @param inputs one tensor per input, named as in the signature
   * @return every output, in the signature's order
   * @throws dev.swell.api.BackendException if the engine fails
   * @throws IllegalStateException if the model is closed
   */
  NamedTensors run(NamedTensors inputs);

  /**
   * Runs the model once, stopping early if the call is cancelled (its deadline passed). The
   * default ignores cancellation and calls {@link #run(NamedTensors)}.
   *
   * @param inputs one tensor per input, named as in the signature
   * @param context tells whether to stop; register how with {@link RunContext#onCancel}
   * @return every output, in the signature's order
   * @throws dev.swell.api.DeadlineExceededException if the call was cancelled and stopped
   * @throws dev.swell.api.BackendException if the engine fails
   * @throws IllegalStateException if the model is closed
   */
  default NamedTensors run(NamedTensors inputs, RunContext context) {
    return run(inputs);
  }

  /**
   * Returns the native memory this model holds, as the backend knows it.
   *
   * @return bytes, or -1 when the backend cannot tell (the runtime then measures the process)
   */
  default long nativeBytes() {
    return -1;
  }

  /** Frees the model's native resources once no call is running. Idempotent. */
  @Override
  void close();
}
