package dev.swell.onnx;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;

/**
 * Runs a model with plain ONNX Runtime code, as a user would without Swell: the reference that
 * Swell's outputs must equal bit for bit. Uses the same session options as Swell's defaults.
 */
final class RawOrt implements AutoCloseable {

  private final OrtEnvironment env = OrtEnvironment.getEnvironment();
  private final OrtSession session;

  RawOrt(Path model) throws OrtException {
    this(model, 0);
  }

  /** With {@code intraOpThreads} threads per call (0: ONNX Runtime's default). */
  RawOrt(Path model, int intraOpThreads) throws OrtException {
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      opts.setCPUArenaAllocator(true);
      if (intraOpThreads > 0) {
        opts.setIntraOpNumThreads(intraOpThreads);
      }
      session = env.createSession(model.toString(), opts);
    }
  }

  /** Runs the inputs through heap-array tensors, reading every output into a heap buffer. */
  NamedTensors run(NamedTensors inputs) throws OrtException {
    Map<String, OnnxTensor> in = new HashMap<>();
    try {
      for (var e : inputs) {
        in.put(e.getKey(), create(e.getValue()));
      }
      try (OrtSession.Result r = session.run(in)) {
        NamedTensors.Builder out = NamedTensors.builder();
        for (Map.Entry<String, OnnxValue> e : r) {
          OnnxTensor t = (OnnxTensor) e.getValue();
          if (t.getInfo().type == ai.onnxruntime.OnnxJavaType.FLOAT) {
            java.nio.FloatBuffer fb = t.getFloatBuffer();
            float[] a = new float[fb.remaining()];
            fb.get(a);
            out.put(e.getKey(), Tensor.of(a, t.getInfo().getShape()));
          } else {
            out.put(e.getKey(), OnnxTensors.fromOnnx(t, e.getKey()));
          }
        }
        return out.build();
      }
    } finally {
      in.values().forEach(OnnxTensor::close);
    }
  }

  /**
   * A deadline made by hand on raw ONNX Runtime, the control for Swell's: the model runs on
   * {@code worker} while this thread waits as {@link dev.swell.core.testkit.Measure#plainWait}
   * does, then terminates the run and returns, as a caller at its deadline would. The same threads
   * are busy the same way as in a Swell call with a deadline, less Swell.
   *
   * @return the nanoseconds until this thread returned; the terminated run is joined after that
   */
  long deadlineByHand(NamedTensors inputs, long waitNanos, long spinNanos,
      java.util.concurrent.ExecutorService worker) throws Exception {
    long t0 = System.nanoTime();
    try (OrtSession.RunOptions options = new OrtSession.RunOptions()) {
      java.util.concurrent.Future<?> run = worker.submit(() -> {
        Map<String, OnnxTensor> in = new HashMap<>();
        try {
          for (var e : inputs) {
            in.put(e.getKey(), create(e.getValue()));
          }
          session.run(in, options).close();
        } catch (OrtException terminated) {
          // the expected end
        } finally {
          in.values().forEach(OnnxTensor::close);
        }
        return null;
      });
      dev.swell.core.testkit.Measure.plainWait(waitNanos - (System.nanoTime() - t0), spinNanos);
      options.setTerminate(true);
      long took = System.nanoTime() - t0;
      run.get();
      return took;
    }
  }

  private OnnxTensor create(Tensor t) throws OrtException {
    switch (t.dtype()) {
      case FLOAT32:
        return OnnxTensor.createTensor(env, java.nio.FloatBuffer.wrap(t.toFloatArray()), t.shape());
      case INT64:
        return OnnxTensor.createTensor(env, java.nio.LongBuffer.wrap(t.toLongArray()), t.shape());
      case STRING:
        return OnnxTensor.createTensor(env, t.toStringArray(), t.shape());
      default:
        ByteBuffer copy = ByteBuffer.allocateDirect((int) t.byteSize()).order(ByteOrder.nativeOrder());
        copy.put(t.buffer()).flip();
        return OnnxTensor.createTensor(env, copy, t.shape(), OnnxTensors.javaType(t.dtype()));
    }
  }

  @Override
  public void close() throws OrtException {
    session.close();
  }
}
