package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import java.lang.management.ManagementFactory;
import java.nio.FloatBuffer;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A prediction through Swell, inputs made from arrays and the output read into an array,
 * allocates no more heap than the same call written with plain ONNX Runtime (issue 15: it was
 * 1,696 against 1,296 bytes on the MLP at batch 1, JDK 17). Both are measured in this JVM, on the
 * same model, by the thread's allocation counter, after enough calls for the JIT to settle; the
 * smallest of five rounds is kept, so a late compilation cannot pass for either side's cost.
 */
class AllocationTest {

  @TempDir static Path dir;

  private static final com.sun.management.ThreadMXBean THREADS =
      (com.sun.management.ThreadMXBean) ManagementFactory.getThreadMXBean();

  interface Call {
    float[] run() throws Exception;
  }

  private static double bytesPerCall(Call call) throws Exception {
    float sink = 0;
    for (int i = 0; i < 60_000; i++) {
      sink += call.run()[0];
    }
    long me = Thread.currentThread().getId();
    double best = Double.MAX_VALUE;
    for (int round = 0; round < 5; round++) {
      int n = 10_000;
      long before = THREADS.getThreadAllocatedBytes(me);
      for (int i = 0; i < n; i++) {
        sink += call.run()[0];
      }
      best = Math.min(best, (THREADS.getThreadAllocatedBytes(me) - before) / (double) n);
    }
    assertThat(sink).isNotNaN();
    return best;
  }

  @Test
  @DisplayName("MLP batch 1: a Swell prediction from arrays allocates no more than plain ONNX Runtime's call")
  void swellAllocatesNoMoreThanRawOrt() throws Exception {
    Path model = OnnxModels.mlp(dir, 16, 32, 4, 7);
    float[] x = new float[16];
    for (int i = 0; i < x.length; i++) {
      x[i] = i * 0.25f - 2;
    }
    long[] shape = {1, 16};
    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession raw;
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setIntraOpNumThreads(1);
      opts.setInterOpNumThreads(1);
      raw = env.createSession(model.toString(), opts);
    }
    try (raw; Swell swell = Swell.builder()
            .backendConfig(BackendConfig.builder().intraOpThreads(1).interOpThreads(1).build()).build();
         Predictor p = swell.load(model)) {
      Call rawCall = () -> {
        Map<String, OnnxTensor> in = new HashMap<>(8);
        try {
          in.put("x", OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape));
          try (OrtSession.Result result = raw.run(in)) {
            FloatBuffer fb = ((OnnxTensor) result.get(0)).getFloatBuffer();
            float[] out = new float[fb.remaining()];
            fb.get(out);
            return out;
          }
        } finally {
          for (OnnxTensor t : in.values()) {
            t.close();
          }
        }
      };
      Call swellCall = () -> p.predict(NamedTensors.of("x", Tensor.of(x, shape))).outputs().tensor(0).toFloatArray();
      assertThat(swellCall.run()).containsExactly(rawCall.run());
      double rawBytes = bytesPerCall(rawCall);
      double swellBytes = bytesPerCall(swellCall);
      System.out.printf("allocated per call: raw ONNX Runtime %.0f B, Swell %.0f B%n", rawBytes, swellBytes);
      assertThat(swellBytes).as("Swell's bytes a call against raw ORT's %.0f", rawBytes).isLessThanOrEqualTo(rawBytes);
    }
  }
}
