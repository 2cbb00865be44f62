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

  private final long maxRequestBytes;
  private final int maxStringChars;

  /** Whether two inputs share a symbolic dimension name (so their sizes there must agree). */
  private final boolean namedDims;

  InputValidator(String model, String version, Signature signature, long maxElements) {
    this(model, version, signature, InputLimits.DEFAULTS.withMaxElements(maxElements));
  }

  InputValidator(String model, String version, Signature signature, InputLimits limits) {
    this.model = model;
    this.version = version;
    this.signature = signature;
    this.maxElements = limits.maxElements();
    this.maxRequestBytes = limits.maxRequestBytes();
    this.maxStringChars = limits.maxStringChars();
    java.util.Map<String, Integer> uses = new java.util.HashMap<>();
    for (TensorSpec s : signature.inputs()) {
      for (int i = 0; i < Math.max(0, s.rank()); i++) {
        s.dimName(i).ifPresent(n -> uses.merge(n, 1, Integer::sum));
      }
    }
    this.namedDims = uses.values().stream().anyMatch(c -> c > 1);
  }

  /** Inputs that share a dimension name must agree on its size: checked before native code. */
  private void checkNamedDimensions(NamedTensors inputs) {
    java.util.Map<String, Object[]> seen = new java.util.HashMap<>(); // name -> {size, input, axis}
    for (TensorSpec spec : signature.inputs()) {
      Tensor t = inputs.get(spec.name());
      for (int i = 0; i < spec.rank(); i++) {
        String dim = spec.dimName(i).orElse(null);
        if (dim == null || !spec.isDynamic(i)) {
          continue;
        }
        Object[] first = seen.putIfAbsent(dim, new Object[] {t.dim(i), spec.name(), i});
        if (first != null && (long) first[0] != t.dim(i)) {
          throw invalid(spec.name(), "dimension " + i + " (" + dim + ") = " + first[0] + ", as in input '" + first[1]
              + "' [" + spec.describeShape() + "]", "dimension " + i + " = " + t.dim(i) + " ["
              + Tensor.describeShape(t.shape()) + "]");
        }
      }
    }
  }

  void validate(NamedTensors inputs) {
    if (inputs == null) {
      throw invalid(null, "inputs " + expectedNames(), "null");
    }
    long bytes = 0;
    java.util.List<TensorSpec> specs = signature.inputs();
    for (int k = 0; k < specs.size(); k++) {
      TensorSpec spec = specs.get(k);
      Tensor t = inputs.get(spec.name());
      if (t == null) {
        throw invalid(spec.name(), "a tensor " + spec.dtype() + "[" + spec.describeShape()
            + "]", "no tensor of that name (inputs given: " + inputs.names() + ")");
      }
      check(spec, t);
      bytes += bytes(spec, t);
      if (bytes > maxRequestBytes) {
        throw invalid(spec.name(), "requests of at most " + maxRequestBytes + " bytes (InputLimits.maxRequestBytes)",
            "at least " + bytes + " bytes with this input");
      }
    }
    if (namedDims) {
      checkNamedDimensions(inputs);
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
    int rank = t.rank(); // dimensions read one by one: shape() would copy the array on every call
    if (spec.hasShape()) {
      if (rank != spec.rank()) {
        throw invalid(spec.name(), "rank " + spec.rank() + " [" + spec.describeShape() + "]",
            "rank " + rank + " [" + Tensor.describeShape(t.shape()) + "]");
      }
      for (int i = 0; i < rank; i++) {
        long want = spec.dim(i);
        if (want != TensorSpec.DYNAMIC && want != t.dim(i)) {
          throw invalid(spec.name(), "dimension " + i + " = " + want + " [" + spec.describeShape() + "]",
              "dimension " + i + " = " + t.dim(i) + " [" + Tensor.describeShape(t.shape()) + "]");
        }
      }
    }
    if (t.size() > maxElements) {
      throw invalid(spec.name(), "at most " + maxElements + " elements", t.size() + " elements ["
          + Tensor.describeShape(t.shape()) + "]");
    }
  }

  /** The input's size in bytes; strings by UTF-16 length, each checked against the string limit. */
  private long bytes(TensorSpec spec, Tensor t) {
    long b = t.byteSize();
    if (b >= 0) {
      return b;
    }
    long chars = 0;
    String[] strings = t.toStringArray();
    for (int i = 0; i < strings.length; i++) {
      int n = strings[i].length();
      if (n > maxStringChars) {
        throw invalid(spec.name(), "strings of at most " + maxStringChars + " characters (InputLimits.maxStringChars)",
            "element " + i + " of " + n + " characters");
      }
      chars += n;
    }
    return 2 * chars;
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
