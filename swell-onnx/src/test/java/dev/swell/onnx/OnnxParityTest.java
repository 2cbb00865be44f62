package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.MiniLm;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Swell's outputs equal plain ONNX Runtime's bit for bit, on the MLP and on MiniLM. */
class OnnxParityTest {

  @TempDir static Path dir;
  private static Swell swell;

  @BeforeAll
  static void start() {
    swell = Swell.builder().build();
  }

  @AfterAll
  static void stop() {
    swell.close();
  }

  private static NamedTensors miniLmInputs(int batch, int seq, long seed) {
    long[][] ids = MiniLm.tokenIds(batch, seq, seed);
    long[] flat = new long[batch * seq];
    long[] mask = new long[batch * seq];
    for (int i = 0; i < batch; i++) {
      System.arraycopy(ids[i], 0, flat, i * seq, seq);
    }
    java.util.Arrays.fill(mask, 1);
    return NamedTensors.builder()
        .put("input_ids", Tensor.of(flat, batch, seq))
        .put("attention_mask", Tensor.of(mask, batch, seq))
        .put("token_type_ids", Tensor.of(new long[batch * seq], batch, seq))
        .build();
  }

  @Test
  @DisplayName("MLP: single calls at batch 1 and 64 equal raw ONNX Runtime bit for bit")
  void mlpSingle() throws Exception {
    Path model = OnnxModels.mlp(dir, 16, 32, 4, 1234);
    try (Predictor p = swell.load(model); RawOrt raw = new RawOrt(model)) {
      SplittableRandom r = new SplittableRandom(1);
      for (int rows : new int[] {1, 2, 7, 64}) {
        for (int k = 0; k < 5; k++) {
          NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, rows, 16));
          assertThat(p.predict(in).outputs()).isEqualTo(raw.run(in));
        }
      }
    }
  }

  @Test
  @DisplayName("MLP: a joined batch equals raw ONNX Runtime on the same joined batch, bit for bit")
  void mlpBatched() throws Exception {
    Path model = OnnxModels.mlp(dir, 16, 32, 4, 99);
    try (Predictor p = swell.load(model); RawOrt raw = new RawOrt(model)) {
      SplittableRandom r = new SplittableRandom(2);
      List<NamedTensors> requests = new ArrayList<>();
      List<float[]> parts = new ArrayList<>();
      int rows = 0;
      for (int i = 0; i < 8; i++) {
        Tensor x = RandomTensors.random(DType.FLOAT32, r, 1 + i % 3, 16);
        requests.add(NamedTensors.of("x", x));
        parts.add(x.toFloatArray());
        rows += (int) x.dim(0);
      }
      float[] all = new float[rows * 16];
      int at = 0;
      for (float[] part : parts) {
        System.arraycopy(part, 0, all, at, part.length);
        at += part.length;
      }
      float[] expected = raw.run(NamedTensors.of("x", Tensor.of(all, rows, 16))).get("y").toFloatArray();
      List<Prediction> batch = p.predictBatch(requests);
      float[] actual = new float[rows * 4];
      at = 0;
      for (Prediction pr : batch) {
        float[] y = pr.output("y").toFloatArray();
        System.arraycopy(y, 0, actual, at, y.length);
        at += y.length;
      }
      assertThat(actual).isEqualTo(expected);
    }
  }

  @Test
  @DisplayName("MiniLM: single and batched calls at sequence 32 and 128 equal raw ONNX Runtime bit for bit")
  void miniLm() throws Exception {
    Path model = MiniLm.modelFile();
    try (Predictor p = swell.load(model); RawOrt raw = new RawOrt(model)) {
      for (int[] bs : new int[][] {{1, 32}, {1, 128}, {4, 32}}) {
        NamedTensors in = miniLmInputs(bs[0], bs[1], bs[0] * 1000L + bs[1]);
        Prediction out = p.predict(in);
        assertThat(out.output("last_hidden_state").shape()).containsExactly(bs[0], bs[1], 384);
        assertThat(out.outputs()).isEqualTo(raw.run(in));
      }
      // predictBatch of 3 requests at sequence 16 equals raw ORT on the joined [3, 16] batch
      List<NamedTensors> requests = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        requests.add(miniLmInputs(1, 16, 77 + i));
      }
      NamedTensors joined = NamedTensors.builder()
          .put("input_ids", concat(requests, "input_ids"))
          .put("attention_mask", concat(requests, "attention_mask"))
          .put("token_type_ids", concat(requests, "token_type_ids"))
          .build();
      float[] expected = raw.run(joined).get("last_hidden_state").toFloatArray();
      List<Prediction> batch = p.predictBatch(requests);
      for (int i = 0; i < 3; i++) {
        float[] y = batch.get(i).output("last_hidden_state").toFloatArray();
        assertThat(y).isEqualTo(java.util.Arrays.copyOfRange(expected, i * 16 * 384, (i + 1) * 16 * 384));
      }
    }
  }

  private static Tensor concat(List<NamedTensors> requests, String name) {
    int n = requests.size();
    long[] all = new long[n * 16];
    for (int i = 0; i < n; i++) {
      System.arraycopy(requests.get(i).get(name).toLongArray(), 0, all, i * 16, 16);
    }
    return Tensor.of(all, n, 16);
  }

  @Test
  @DisplayName("MiniLM: 16 threads predicting at once get exactly the single-threaded results")
  void miniLmConcurrent() throws Exception {
    try (Predictor p = swell.load(MiniLm.modelFile())) {
      List<NamedTensors> inputs = new ArrayList<>();
      List<NamedTensors> expected = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        NamedTensors in = miniLmInputs(1, 16, i);
        inputs.add(in);
        expected.add(p.predict(in).outputs());
      }
      ExecutorService pool = Executors.newFixedThreadPool(16);
      try {
        List<Future<?>> futures = new ArrayList<>();
        for (int t = 0; t < 16; t++) {
          int offset = t;
          futures.add(pool.submit(() -> {
            for (int k = 0; k < 6; k++) {
              int i = (offset + k) % inputs.size();
              assertThat(p.predict(inputs.get(i)).outputs()).isEqualTo(expected.get(i));
            }
          }));
        }
        for (Future<?> f : futures) {
          f.get(120, TimeUnit.SECONDS);
        }
      } finally {
        pool.shutdownNow();
      }
    }
  }
}
