package dev.swell.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.swell.api.BackendException;
import dev.swell.api.DeadlineExceededException;
import dev.swell.api.spi.RunContext;
import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Signature;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import dev.swell.api.spi.LoadedModel;
import dev.swell.api.spi.ModelArtifact;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;

/**
 * One ONNX Runtime session. {@code run} is thread-safe (ONNX Runtime sessions are); a call with a
 * deadline gets its own run options, terminated when the runtime cancels it, so ONNX Runtime stops
 * at its next operator. {@code close} refuses new calls and waits for running ones (up to the
 * {@value OnnxBackendProvider#CLOSE_TIMEOUT} option) before freeing the session; a session with
 * calls still running after that is left open rather than freed under them.
 */
final class OnnxLoadedModel implements LoadedModel {

  private final OrtEnvironment env;
  private final OrtSession session;
  private final ModelArtifact artifact;
  private final Signature signature;
  private final String[] inputNames;
  private final String[] outputNames;
  private final String device;
  /**
   * How each output's shape follows from the inputs' (null when some output's does not): per
   * output and axis, {@code >= 0} a fixed size, else {@code -1 - (input * 64 + axis)}, the input
   * dimension of the same symbolic name.
   */
  private final long[][] outputDims;
  private final DType[] outputTypes;
  /** Outputs are written into pooled tensors made before the run; cleared if the model's shapes lie. */
  private volatile boolean pinOutputs;
  private final AtomicInteger inFlight = new AtomicInteger();
  private final long closeTimeoutNanos;
  private volatile boolean closing;
  private boolean closed; // guarded by this

  OnnxLoadedModel(OrtEnvironment env, OrtSession session, ModelArtifact artifact, String device,
      long closeTimeoutNanos) throws OrtException {
    this.closeTimeoutNanos = closeTimeoutNanos;
    this.env = env;
    this.session = session;
    this.artifact = artifact;
    this.device = device;
    List<TensorSpec> in = specs(session.getInputInfo(), "input");
    in = unshapedWhereUndeclared(in);
    List<TensorSpec> out = specs(session.getOutputInfo(), "output");
    this.signature = Signature.of(in, out);
    this.inputNames = in.stream().map(TensorSpec::name).toArray(String[]::new);
    this.outputNames = out.stream().map(TensorSpec::name).toArray(String[]::new);
    this.outputTypes = out.stream().map(TensorSpec::dtype).toArray(DType[]::new);
    this.outputDims = outputDims(in, out);
    this.pinOutputs = outputDims != null && !Boolean.getBoolean("swell.onnx.no-pinned-outputs");
  }

  /**
   * Reads how the outputs' shapes follow from the inputs' from the declared shapes: every output
   * dimension fixed, or named like a dimension of an input. Null if one is neither (a shape
   * known only after the run, such as NonZero's), or an output is a string tensor.
   */
  private static long[][] outputDims(List<TensorSpec> in, List<TensorSpec> out) {
    long[][] dims = new long[out.size()][];
    for (int o = 0; o < out.size(); o++) {
      TensorSpec spec = out.get(o);
      if (!spec.hasShape() || !spec.dtype().isFixedSize()) {
        return null;
      }
      dims[o] = new long[spec.rank()];
      for (int a = 0; a < spec.rank(); a++) {
        if (!spec.isDynamic(a)) {
          dims[o][a] = spec.dim(a);
          continue;
        }
        String name = spec.dimName(a).orElse("");
        long from = name.isEmpty() ? 0 : inputAxis(in, name);
        if (from >= 0) {
          return null;
        }
        dims[o][a] = from;
      }
    }
    return dims;
  }

  /** {@code -1 - (input * 64 + axis)} of the first input dimension of this name, or 0 if there is none. */
  private static long inputAxis(List<TensorSpec> in, String name) {
    for (int i = 0; i < in.size(); i++) {
      TensorSpec s = in.get(i);
      for (int a = 0; s.hasShape() && a < s.rank() && a < 64; a++) {
        if (s.isDynamic(a) && name.equals(s.dimName(a).orElse(""))) {
          return -1 - (i * 64L + a);
        }
      }
    }
    return 0;
  }

  private List<TensorSpec> specs(Map<String, NodeInfo> infos, String what) {
    List<TensorSpec> specs = new ArrayList<>(infos.size());
    for (NodeInfo node : infos.values()) {
      if (!(node.getInfo() instanceof TensorInfo)) {
        throw new BackendException(what + " '" + node.getName() + "' is " + node.getInfo()
            + "; Swell serves models whose inputs and outputs are tensors", artifact.name(),
            artifact.version(), null);
      }
      TensorInfo info = (TensorInfo) node.getInfo();
      DType dtype = OnnxTensors.dtype(info.onnxType);
      if (dtype == null) {
        throw new BackendException(what + " '" + node.getName() + "' has element type "
            + info.onnxType + ", which ONNX Runtime's Java API cannot create (supported: "
            + "float32, float64, float16, bfloat16, int8, uint8, int16, int32, int64, bool, string)",
            artifact.name(), artifact.version(), null);
      }
      specs.add(TensorSpec.of(node.getName(), dtype, info.getShape(), info.getDimensionNames()));
    }
    return specs;
  }

  /**
   * ONNX Runtime reports an input declared without a shape as a scalar: read the model file to
   * tell them apart (only when some input looks like a scalar).
   */
  private List<TensorSpec> unshapedWhereUndeclared(List<TensorSpec> in) {
    if (in.stream().noneMatch(s -> s.rank() == 0)) {
      return in;
    }
    java.util.Set<String> shaped;
    try {
      shaped = OnnxGraphInputs.shaped(artifact.file());
    } catch (java.io.IOException e) {
      return in; // ONNX Runtime parsed it; keep its reading
    }
    List<TensorSpec> out = new ArrayList<>(in.size());
    for (TensorSpec s : in) {
      out.add(s.rank() == 0 && !shaped.contains(s.name()) ? TensorSpec.unshaped(s.name(), s.dtype()) : s);
    }
    return out;
  }

  @Override
  public Signature signature() {
    return signature;
  }

  @Override
  public String device() {
    return device;
  }

  @Override
  public NamedTensors run(NamedTensors inputs) {
    return run(inputs, RunContext.NONE);
  }

  @Override
  public NamedTensors run(NamedTensors inputs, RunContext context) {
    inFlight.incrementAndGet();
    try {
      if (closing) {
        throw new IllegalStateException(
            "model '" + artifact.name() + "' " + artifact.version() + " is closed");
      }
      OnnxEnvironment.checkCallable(artifact.name(), artifact.version());
      if (context == RunContext.NONE) {
        return runOpen(inputs, null, context);
      }
      Terminator t = new Terminator();
      try {
        context.onCancel(t::terminate);
        return runOpen(inputs, t.options, context);
      } finally {
        t.close();
      }
    } catch (OrtException e) {
      throw new BackendException("ONNX Runtime could not make run options: " + e.getMessage(), artifact.name(),
          artifact.version(), e);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  /**
   * A call's run options, terminated from the timer thread when its deadline passes; closed by the
   * call's thread once it returns. Both under one lock, so a late terminate never touches freed
   * native memory.
   */
  private static final class Terminator {
    final OrtSession.RunOptions options;
    private boolean closed; // guarded by this

    Terminator() throws OrtException {
      options = new OrtSession.RunOptions();
    }

    synchronized void terminate() {
      if (!closed) {
        try {
          options.setTerminate(true);
        } catch (OrtException e) {
          // the call then runs to its end; the runtime still reports the deadline
        }
      }
    }

    synchronized void close() {
      if (!closed) {
        closed = true;
        options.close();
      }
    }
  }

  private NamedTensors runOpen(NamedTensors inputs, OrtSession.RunOptions options, RunContext context) {
    int n = inputNames.length;
    OnnxTensor[] made = new OnnxTensor[n];
    TensorPool.Lease[] lent = new TensorPool.Lease[n];
    TensorPool.Lease[] pinned = null;
    try {
      for (int i = 0; i < n; i++) {
        Tensor t = inputs.get(inputNames[i]);
        if (t == null) {
          throw new BackendException("input '" + inputNames[i] + "' is missing", artifact.name(),
              artifact.version(), null);
        }
        made[i] = OnnxTensors.toOnnx(env, t, lent, i);
      }
      Map<String, OnnxTensor> onnxInputs = nameMap(inputNames, made);
      if (pinOutputs && lendOutputs(inputs, pinned = new TensorPool.Lease[outputNames.length])) {
        try {
          return runPinned(onnxInputs, pinned, options);
        } catch (OrtException | RuntimeException e) {
          if (context.cancelled()) {
            throw e;
          }
          // the declared shapes may not be the real ones: find out with a run ONNX Runtime allocates for
          NamedTensors out = runUnpinned(onnxInputs, options);
          notePinnedFailure(pinned, out, e);
          return out;
        }
      }
      return runUnpinned(onnxInputs, options);
    } catch (OrtException | RuntimeException e) {
      if (e instanceof BackendException) {
        throw (BackendException) e;
      }
      if (context.cancelled()) {
        throw new DeadlineExceededException("the deadline passed while ONNX Runtime ran the model; it stopped "
            + "at its next operator", artifact.name(), artifact.version());
      }
      throw new BackendException("ONNX Runtime failed to run: " + e.getMessage(), artifact.name(),
          artifact.version(), e);
    } finally {
      for (int i = 0; i < n; i++) {
        if (made[i] != null) {
          OnnxTensors.release(made[i], lent[i]);
          OnnxNativeStats.TENSORS.decrementAndGet();
        }
      }
      if (pinned != null) {
        for (TensorPool.Lease l : pinned) {
          if (l != null) {
            OnnxTensors.POOL.release(l);
          }
        }
      }
    }
  }

  private NamedTensors runUnpinned(Map<String, OnnxTensor> onnxInputs, OrtSession.RunOptions options)
      throws OrtException {
    OrtSession.Result result = options == null ? session.run(onnxInputs) : session.run(onnxInputs, options);
    OnnxNativeStats.RESULTS.incrementAndGet();
    try (result) {
      if (outputNames.length == 1) {
        return NamedTensors.of(outputNames[0], output(result, 0));
      }
      NamedTensors.Builder out = NamedTensors.builder();
      for (int i = 0; i < outputNames.length; i++) {
        out.put(outputNames[i], output(result, i));
      }
      return out.build();
    } finally {
      OnnxNativeStats.RESULTS.decrementAndGet();
    }
  }

  /**
   * Lends tensors for the outputs, of the shapes the inputs' give them, into {@code leases} as they
   * are made (so the caller gives back every one, even if a later one fails). False, with nothing
   * lent, when an output would be too large for one buffer: ONNX Runtime allocates that call's.
   */
  private boolean lendOutputs(NamedTensors inputs, TensorPool.Lease[] leases) throws OrtException {
    for (int o = 0; o < leases.length; o++) {
      long[] rule = outputDims[o];
      long[] shape = new long[rule.length];
      long bytes = outputTypes[o].byteSize();
      for (int a = 0; a < rule.length; a++) {
        long r = rule[a];
        shape[a] = r >= 0 ? r : inputs.get(inputNames[(int) ((-1 - r) / 64)]).dim((int) ((-1 - r) % 64));
        if (shape[a] != 0 && bytes > Integer.MAX_VALUE / shape[a]) { // checked before multiplying: no overflow
          for (int k = 0; k < o; k++) {
            OnnxTensors.POOL.release(leases[k]);
            leases[k] = null;
          }
          return false;
        }
        bytes *= shape[a];
      }
      leases[o] = OnnxTensors.POOL.acquire(env, OnnxTensors.javaType(outputTypes[o]), shape, (int) bytes);
    }
    return true;
  }

  /** Runs into the pinned outputs, then copies each into a heap tensor of its own. */
  private NamedTensors runPinned(Map<String, OnnxTensor> onnxInputs, TensorPool.Lease[] pinned,
      OrtSession.RunOptions options) throws OrtException {
    Map<String, OnnxTensor> pin;
    if (pinned.length == 1) {
      pin = Map.of(outputNames[0], pinned[0].tensor());
    } else {
      OnnxTensor[] outs = new OnnxTensor[pinned.length];
      for (int o = 0; o < outs.length; o++) {
        outs[o] = pinned[o].tensor();
      }
      pin = nameMap(outputNames, outs);
    }
    OrtSession.Result result = options == null ? session.run(onnxInputs, pin)
        : session.run(onnxInputs, java.util.Set.of(), pin, options);
    result.close(); // holds only the pinned tensors, which stay open
    if (pinned.length == 1) {
      return NamedTensors.of(outputNames[0], copyOut(pinned[0], 0));
    }
    NamedTensors.Builder out = NamedTensors.builder();
    for (int o = 0; o < pinned.length; o++) {
      out.put(outputNames[o], copyOut(pinned[o], o));
    }
    return out.build();
  }

  private Tensor copyOut(TensorPool.Lease l, int o) {
    java.nio.ByteBuffer heap = java.nio.ByteBuffer.allocate(l.bytes()).order(java.nio.ByteOrder.nativeOrder());
    heap.put(0, l.buffer, 0, l.bytes());
    return Tensor.fromBuffer(outputTypes[o], heap, l.shape());
  }

  /**
   * A pinned run failed and the same run unpinned did not: if an output's real shape differs from
   * the one its declaration gives, this model's outputs are not pinned any more.
   */
  private void notePinnedFailure(TensorPool.Lease[] pinned, NamedTensors out, Exception e) {
    for (int o = 0; o < pinned.length; o++) {
      long[] expected = pinned[o].shape();
      Tensor got = out.get(outputNames[o]);
      if (!java.util.Arrays.equals(expected, got.shape())) {
        pinOutputs = false;
        org.slf4j.LoggerFactory.getLogger(OnnxLoadedModel.class).info("model '{}' {}: output '{}' has shape {}, "
            + "not the {} its declaration gives; its outputs are no longer written into tensors made before "
            + "the run ({})", artifact.name(), artifact.version(), outputNames[o], java.util.Arrays.toString(got.shape()),
            java.util.Arrays.toString(expected), e.getMessage());
        return;
      }
    }
  }

  /** Whether outputs are written into tensors made before the run (tests). */
  boolean pinsOutputs() {
    return pinOutputs;
  }

  /** Tensors by name, in the smallest map that holds them (ONNX Runtime only iterates it). */
  private static Map<String, OnnxTensor> nameMap(String[] names, OnnxTensor[] t) {
    switch (t.length) {
      case 1:
        return Map.of(names[0], t[0]);
      case 2:
        return Map.of(names[0], t[0], names[1], t[1]);
      case 3:
        return Map.of(names[0], t[0], names[1], t[1], names[2], t[2]);
      default:
        Map<String, OnnxTensor> m = new HashMap<>(t.length * 2);
        for (int i = 0; i < t.length; i++) {
          m.put(names[i], t[i]);
        }
        return m;
    }
  }

  private Tensor output(OrtSession.Result result, int i) throws OrtException {
    OnnxValue v = result.get(i);
    if (!(v instanceof OnnxTensor)) {
      throw new BackendException("output '" + outputNames[i] + "' is not a tensor",
          artifact.name(), artifact.version(), null);
    }
    return OnnxTensors.fromOnnx((OnnxTensor) v, outputNames[i]);
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closing = true;
    long deadline = System.nanoTime() + closeTimeoutNanos;
    while (inFlight.get() > 0 && System.nanoTime() - deadline < 0) {
      LockSupport.parkNanos(50_000);
    }
    closed = true;
    if (inFlight.get() > 0) {
      // freeing a session under a running call would crash the JVM: leak it instead
      org.slf4j.LoggerFactory.getLogger(OnnxLoadedModel.class).error("model '{}' {}: {} calls still run after {} ms; "
          + "its session is left open rather than freed under them", artifact.name(), artifact.version(),
          inFlight.get(), closeTimeoutNanos / 1_000_000);
      return;
    }
    try {
      session.close();
    } catch (OrtException e) {
      throw new BackendException("closing the ONNX Runtime session failed", artifact.name(),
          artifact.version(), e);
    } finally {
      OnnxNativeStats.SESSIONS.decrementAndGet();
    }
  }
}
