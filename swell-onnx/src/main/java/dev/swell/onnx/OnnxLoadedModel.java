package dev.swell.onnx;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import dev.swell.api.BackendException;
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
 * One ONNX Runtime session. {@code run} is thread-safe (ONNX Runtime sessions are); {@code close}
 * refuses new calls and waits for running ones before freeing the session, so a close racing with
 * a run can never free memory that native code is still using.
 */
final class OnnxLoadedModel implements LoadedModel {

  private final OrtEnvironment env;
  private final OrtSession session;
  private final ModelArtifact artifact;
  private final Signature signature;
  private final String[] inputNames;
  private final String[] outputNames;
  private final String device;
  private final AtomicInteger inFlight = new AtomicInteger();
  private volatile boolean closing;
  private boolean closed; // guarded by this

  OnnxLoadedModel(OrtEnvironment env, OrtSession session, ModelArtifact artifact, String device)
      throws OrtException {
    this.env = env;
    this.session = session;
    this.artifact = artifact;
    this.device = device;
    List<TensorSpec> in = specs(session.getInputInfo(), "input");
    List<TensorSpec> out = specs(session.getOutputInfo(), "output");
    this.signature = Signature.of(in, out);
    this.inputNames = in.stream().map(TensorSpec::name).toArray(String[]::new);
    this.outputNames = out.stream().map(TensorSpec::name).toArray(String[]::new);
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
      specs.add(TensorSpec.of(node.getName(), dtype, info.getShape()));
    }
    return specs;
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
    inFlight.incrementAndGet();
    try {
      if (closing) {
        throw new IllegalStateException(
            "model '" + artifact.name() + "' " + artifact.version() + " is closed");
      }
      OnnxEnvironment.checkCallable(artifact.name(), artifact.version());
      return runOpen(inputs);
    } finally {
      inFlight.decrementAndGet();
    }
  }

  private NamedTensors runOpen(NamedTensors inputs) {
    Map<String, OnnxTensor> onnxInputs = new HashMap<>(inputNames.length * 2);
    try {
      for (String name : inputNames) {
        Tensor t = inputs.get(name);
        if (t == null) {
          throw new BackendException("input '" + name + "' is missing", artifact.name(),
              artifact.version(), null);
        }
        onnxInputs.put(name, OnnxTensors.toOnnx(env, t));
      }
      OrtSession.Result result = session.run(onnxInputs);
      OnnxNativeStats.RESULTS.incrementAndGet();
      try (result) {
        NamedTensors.Builder out = NamedTensors.builder();
        for (int i = 0; i < outputNames.length; i++) {
          OnnxValue v = result.get(i);
          if (!(v instanceof OnnxTensor)) {
            throw new BackendException("output '" + outputNames[i] + "' is not a tensor",
                artifact.name(), artifact.version(), null);
          }
          out.put(outputNames[i], OnnxTensors.fromOnnx((OnnxTensor) v, outputNames[i]));
        }
        return out.build();
      } finally {
        OnnxNativeStats.RESULTS.decrementAndGet();
      }
    } catch (OrtException | RuntimeException e) {
      if (e instanceof BackendException) {
        throw (BackendException) e;
      }
      throw new BackendException("ONNX Runtime failed to run: " + e.getMessage(), artifact.name(),
          artifact.version(), e);
    } finally {
      for (OnnxTensor t : onnxInputs.values()) {
        t.close();
        OnnxNativeStats.TENSORS.decrementAndGet();
      }
    }
  }

  @Override
  public synchronized void close() {
    if (closed) {
      return;
    }
    closing = true;
    while (inFlight.get() > 0) {
      LockSupport.parkNanos(50_000);
    }
    closed = true;
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
