package dev.swell.core;

import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Signature;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import java.util.Map;

/**
 * Checks a request against a signature before any native code sees it. Every failure is an
 * {@link InvalidInputException} naming the input, what the model expects and what came.
 */
final class InputValidator {

  private final String model;
  private final String version;
  private final Signature signature;
  private final long maxElements;

  InputValidator(String model, String version, Signature signature, long maxElements) {
    this.model = model;
    this.version = version;
    this.signature = signature;
    this.maxElements = maxElements;
  }

  void validate(NamedTensors inputs) {
    if (inputs == null) {
      throw invalid(null, "inputs " + expectedNames(), "null");
    }
    for (TensorSpec spec : signature.inputs()) {
      Tensor t = inputs.get(spec.name());
      if (t == null) {
        throw invalid(spec.name(), "a tensor " + spec.dtype() + "[" + Tensor.describeShape(spec.shape())
            + "]", "no tensor of that name (inputs given: " + inputs.names() + ")");
      }
      check(spec, t);
    }
    if (inputs.size() != signature.inputs().size()) {
      for (Map.Entry<String, Tensor> e : inputs) {
        if (signature.input(e.getKey()).isEmpty()) {
          throw invalid(e.getKey(), "only inputs " + expectedNames(), "an unknown input name");
        }
      }
    }
  }

  private void check(TensorSpec spec, Tensor t) {
    if (t.dtype() != spec.dtype()) {
      throw invalid(spec.name(), "dtype " + spec.dtype(), "dtype " + t.dtype());
    }
    long[] shape = t.shape();
    if (shape.length != spec.rank()) {
      throw invalid(spec.name(), "rank " + spec.rank() + " [" + Tensor.describeShape(spec.shape()) + "]",
          "rank " + shape.length + " [" + Tensor.describeShape(shape) + "]");
    }
    for (int i = 0; i < shape.length; i++) {
      long want = spec.dim(i);
      if (want != TensorSpec.DYNAMIC && want != shape[i]) {
        throw invalid(spec.name(), "dimension " + i + " = " + want + " [" + Tensor.describeShape(spec.shape()) + "]",
            "dimension " + i + " = " + shape[i] + " [" + Tensor.describeShape(shape) + "]");
      }
    }
    if (shape.length > 0 && shape[0] == 0) {
      throw invalid(spec.name(), "at least one row in dimension 0", "an empty batch ["
          + Tensor.describeShape(shape) + "]");
    }
    if (t.size() > maxElements) {
      throw invalid(spec.name(), "at most " + maxElements + " elements", t.size() + " elements ["
          + Tensor.describeShape(shape) + "]");
    }
  }

  private String expectedNames() {
    StringBuilder sb = new StringBuilder("(");
    for (TensorSpec s : signature.inputs()) {
      if (sb.length() > 1) {
        sb.append(", ");
      }
      sb.append(s);
    }
    return sb.append(')').toString();
  }

  InvalidInputException invalid(String input, String expected, String actual) {
    return new InvalidInputException(model, version, input, expected, actual);
  }
}
