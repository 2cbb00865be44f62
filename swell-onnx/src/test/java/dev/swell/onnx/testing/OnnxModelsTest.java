package dev.swell.onnx.testing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import ai.onnxruntime.NodeInfo;
import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.OrtSession;
import ai.onnxruntime.TensorInfo;
import ai.onnxruntime.platform.Fp16Conversions;
import dev.swell.api.DType;
import dev.swell.core.testkit.MlpWeights;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.DoubleBuffer;
import java.nio.FloatBuffer;
import java.nio.IntBuffer;
import java.nio.LongBuffer;
import java.nio.ShortBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Checks the generated test models and the MiniLM locator with raw ONNX Runtime (no Swell code):
 * declared names, types and shapes, and the values computed. A few tests also pin down behaviour of
 * ONNX Runtime's Java API that Swell's backend relies on (which reads copy, which inputs are shared).
 */
class OnnxModelsTest {

  @TempDir static Path dir;
  private static OrtEnvironment env;

  @BeforeAll
  static void environment() {
    env = OrtEnvironment.getEnvironment();
  }

  private static OrtSession open(Path model) throws OrtException {
    try (OrtSession.SessionOptions options = new OrtSession.SessionOptions()) {
      return env.createSession(model.toString(), options);
    }
  }

  private static TensorInfo info(Map<String, NodeInfo> infos, String name) {
    assertThat(infos).containsKey(name);
    return (TensorInfo) infos.get(name).getInfo();
  }

  private static void assertTensor(TensorInfo info, OnnxJavaType type, long... shape) {
    assertThat(info.type).isEqualTo(type);
    assertThat(info.getShape()).containsExactly(shape);
  }

  // ------------------------------------------------------------------------------------ MLP

  @Test
  @DisplayName("mlp: x float32 [batch, in] -> y float32 [batch, out], equal to MlpWeights.apply")
  void mlpMatchesOracle() throws Exception {
    int in = 16;
    int hidden = 32;
    int out = 4;
    long seed = 1234;
    Path model = OnnxModels.mlp(dir, in, hidden, out, seed);
    MlpWeights weights = MlpWeights.generate(in, hidden, out, seed);
    SplittableRandom r = new SplittableRandom(7);
    try (OrtSession session = open(model)) {
      assertThat(session.getInputInfo().keySet()).containsExactly("x");
      assertThat(session.getOutputInfo().keySet()).containsExactly("y");
      TensorInfo x = info(session.getInputInfo(), "x");
      assertTensor(x, OnnxJavaType.FLOAT, -1, in);
      assertThat(x.getDimensionNames()).containsExactly("batch", "");
      assertTensor(info(session.getOutputInfo(), "y"), OnnxJavaType.FLOAT, -1, out);

      for (int rows : new int[] {1, 3, 64}) {
        float[] input = new float[rows * in];
        for (int i = 0; i < input.length; i++) {
          input[i] = (float) (r.nextDouble() * 4 - 2);
        }
        float[] expected = weights.apply(input, rows);
        try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {rows, in});
             OrtSession.Result result = session.run(Map.of("x", t))) {
          OnnxTensor y = (OnnxTensor) result.get(0);
          assertThat(y.getInfo().getShape()).containsExactly(rows, out);
          float[] actual = floats(y.getFloatBuffer());
          assertThat(actual).hasSize(expected.length);
          for (int i = 0; i < expected.length; i++) {
            assertThat(actual[i]).as("element %d at batch %d", i, rows)
                .isCloseTo(expected[i], within(1e-5f));
          }
        }
      }
    }
  }

  @Test
  @DisplayName("files are named by their parameters and reused, not rewritten")
  void filesAreReused() throws Exception {
    Path first = OnnxModels.mlp(dir, 3, 5, 2, 42);
    assertThat(first.getFileName().toString()).isEqualTo("mlp-3-5-2-42.onnx");
    FileTime written = FileTime.fromMillis(1_000_000L);
    Files.setLastModifiedTime(first, written);
    Path again = OnnxModels.mlp(dir, 3, 5, 2, 42);
    assertThat(again).isEqualTo(first);
    assertThat(Files.getLastModifiedTime(again)).isEqualTo(written);
    assertThat(OnnxModels.mlp(dir, 3, 5, 2, 43)).isNotEqualTo(first);
    assertThat(OnnxModels.cast(dir, DType.INT8, DType.BOOL).getFileName().toString())
        .isEqualTo("cast-int8-bool.onnx");
    assertThat(OnnxModels.identity(dir, DType.BFLOAT16).getFileName().toString())
        .isEqualTo("identity-bfloat16.onnx");
    try (Stream<Path> files = Files.list(dir)) {
      assertThat(files.map(p -> p.getFileName().toString())).noneMatch(n -> n.endsWith(".tmp"));
    }
    assertThatThrownBy(() -> OnnxModels.mlp(dir, 0, 5, 2, 1))
        .isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("concurrent writers of one model all get the same complete file")
  void concurrentWriters() throws Exception {
    Path sub = dir.resolve("concurrent");
    ExecutorService pool = Executors.newFixedThreadPool(8);
    try {
      List<Future<Path>> futures = new ArrayList<>();
      for (int i = 0; i < 16; i++) {
        futures.add(pool.submit(() -> OnnxModels.mlp(sub, 8, 8, 8, 8)));
      }
      for (Future<Path> f : futures) {
        assertThat(f.get()).isEqualTo(sub.resolve("mlp-8-8-8-8.onnx"));
      }
    } finally {
      pool.shutdownNow();
    }
    try (OrtSession session = open(sub.resolve("mlp-8-8-8-8.onnx"))) {
      assertThat(session.getNumInputs()).isEqualTo(1);
    }
    try (Stream<Path> files = Files.list(sub)) {
      assertThat(files).hasSize(1);
    }
  }

  // ------------------------------------------------------------------------- Identity, Cast

  @ParameterizedTest
  @EnumSource(DType.class)
  @DisplayName("identity: x -> y of the same dtype, [batch, n], values unchanged bit for bit")
  void identityRoundTrips(DType dtype) throws Exception {
    try (OrtSession session = open(OnnxModels.identity(dir, dtype))) {
      TensorInfo x = info(session.getInputInfo(), "x");
      TensorInfo y = info(session.getOutputInfo(), "y");
      assertTensor(x, javaType(dtype), -1, -1);
      assertTensor(y, javaType(dtype), -1, -1);
      assertThat(x.getDimensionNames()).containsExactly("batch", "n");

      long[] shape = {2, 3};
      if (dtype == DType.STRING) {
        String[] values = {"", "swell", "naïve", "日本語", "tab\there", "emoji 🌊"};
        try (OnnxTensor t = OnnxTensor.createTensor(env, values, shape);
             OrtSession.Result result = session.run(Map.of("x", t))) {
          OnnxTensor out = (OnnxTensor) result.get(0);
          assertThat(out.getInfo().type).isEqualTo(OnnxJavaType.STRING);
          assertThat(out.getInfo().getShape()).containsExactly(shape);
          assertThat(strings(out)).containsExactly(values);
        }
      } else {
        ByteBuffer bytes = randomBits(dtype, 6, new SplittableRandom(dtype.ordinal()));
        try (OnnxTensor t = create(dtype, bytes, shape);
             OrtSession.Result result = session.run(Map.of("x", t))) {
          OnnxTensor out = (OnnxTensor) result.get(0);
          assertThat(out.getInfo().type).isEqualTo(javaType(dtype));
          assertThat(out.getInfo().getShape()).containsExactly(shape);
          assertThat(bytes(out.getByteBuffer())).containsExactly(bytes(bytes.duplicate()));
        }
      }
    }
  }

  static Stream<Arguments> castPairs() {
    List<Arguments> pairs = new ArrayList<>();
    for (DType from : DType.values()) {
      for (DType to : DType.values()) {
        pairs.add(Arguments.of(from, to));
      }
    }
    return pairs.stream();
  }

  @ParameterizedTest(name = "{0} -> {1}")
  @MethodSource("castPairs")
  @DisplayName("cast: x of one dtype -> y of another keeps the values 0 and 1 (and small integers)")
  void castKeepsValues(DType from, DType to) throws Exception {
    boolean binary = from == DType.BOOL || to == DType.BOOL;
    double[] values = binary ? new double[] {0, 1, 1, 0, 1, 0} : new double[] {0, 1, 2, 3, 4, 5};
    long[] shape = {2, 3};
    try (OrtSession session = open(OnnxModels.cast(dir, from, to))) {
      assertTensor(info(session.getInputInfo(), "x"), javaType(from), -1, -1);
      assertTensor(info(session.getOutputInfo(), "y"), javaType(to), -1, -1);
      try (OnnxTensor t = create(from, values, shape);
           OrtSession.Result result = session.run(Map.of("x", t))) {
        OnnxTensor out = (OnnxTensor) result.get(0);
        assertThat(out.getInfo().type).isEqualTo(javaType(to));
        assertThat(out.getInfo().getShape()).containsExactly(shape);
        assertThat(read(to, out)).containsExactly(values);
      }
    }
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  @DisplayName("cast: float32 -> dtype -> float32 round trips small integers")
  void castRoundTripThroughFloat32(DType dtype) throws Exception {
    double[] values = dtype == DType.BOOL
        ? new double[] {1, 0, 0, 1}
        : new double[] {-3, 7, 0, 100};
    if (dtype == DType.UINT8) {
      values[0] = 3;
    }
    float[] input = new float[values.length];
    for (int i = 0; i < values.length; i++) {
      input[i] = (float) values[i];
    }
    try (OrtSession there = open(OnnxModels.cast(dir, DType.FLOAT32, dtype));
         OrtSession back = open(OnnxModels.cast(dir, dtype, DType.FLOAT32));
         OnnxTensor x = OnnxTensor.createTensor(env, FloatBuffer.wrap(input), new long[] {2, 2});
         OrtSession.Result mid = there.run(Map.of("x", x));
         OrtSession.Result end = back.run(Map.of("x", (OnnxTensor) mid.get(0)))) {
      assertThat(((OnnxTensor) mid.get(0)).getInfo().type).isEqualTo(javaType(dtype));
      OnnxTensor y = (OnnxTensor) end.get(0);
      assertThat(y.getInfo().getShape()).containsExactly(2, 2);
      assertThat(floats(y.getFloatBuffer())).containsExactly(input);
    }
  }

  // ------------------------------------------------------------------------ multi in / out

  @Test
  @DisplayName("twoInTwoOut: a, b float32 [batch, 4] -> sum, product in that order")
  void twoInTwoOut() throws Exception {
    try (OrtSession session = open(OnnxModels.twoInTwoOut(dir))) {
      assertThat(session.getInputInfo().keySet()).containsExactly("a", "b");
      assertThat(session.getOutputInfo().keySet()).containsExactly("sum", "product");
      assertThat(session.getOutputNames()).containsExactly("sum", "product");
      for (String name : List.of("a", "b")) {
        assertTensor(info(session.getInputInfo(), name), OnnxJavaType.FLOAT, -1, 4);
      }
      for (String name : List.of("sum", "product")) {
        assertTensor(info(session.getOutputInfo(), name), OnnxJavaType.FLOAT, -1, 4);
      }
      float[] a = {1, 2, 3, 4, -1, -2, -3, -4, 0.5f, 0.25f, 10, 100};
      float[] b = {5, 6, 7, 8, 2, 2, 2, 2, 4, 8, -1, 0};
      long[] shape = {3, 4};
      Map<String, OnnxTensor> inputs = new LinkedHashMap<>();
      try (OnnxTensor ta = OnnxTensor.createTensor(env, FloatBuffer.wrap(a), shape);
           OnnxTensor tb = OnnxTensor.createTensor(env, FloatBuffer.wrap(b), shape)) {
        inputs.put("b", tb); // input order in the map does not matter
        inputs.put("a", ta);
        try (OrtSession.Result result = session.run(inputs)) {
          assertThat(result.size()).isEqualTo(2);
          List<String> names = new ArrayList<>();
          result.forEach(e -> names.add(e.getKey()));
          assertThat(names).containsExactly("sum", "product");
          float[] sum = floats(((OnnxTensor) result.get(0)).getFloatBuffer());
          float[] product = floats(((OnnxTensor) result.get("product").orElseThrow()).getFloatBuffer());
          for (int i = 0; i < a.length; i++) {
            assertThat(sum[i]).isEqualTo(a[i] + b[i]);
            assertThat(product[i]).isEqualTo(a[i] * b[i]);
          }
        }
        // Asking for a subset returns only that output.
        try (OrtSession.Result result = session.run(inputs, Set.of("product"))) {
          assertThat(result.size()).isEqualTo(1);
          assertThat(result.get("sum")).isEmpty();
        }
      }
    }
  }

  // ----------------------------------------------------------------------- shapes and errors

  @Test
  @DisplayName("fixedShape: x float32 [2, 3] exactly; other shapes are refused with OrtException")
  void fixedShape() throws Exception {
    try (OrtSession session = open(OnnxModels.fixedShape(dir))) {
      TensorInfo x = info(session.getInputInfo(), "x");
      assertTensor(x, OnnxJavaType.FLOAT, 2, 3);
      assertThat(x.getDimensionNames()).containsExactly("", "");
      assertTensor(info(session.getOutputInfo(), "y"), OnnxJavaType.FLOAT, 2, 3);
      float[] data = {1, 2, 3, 4, 5, 6};
      try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), new long[] {2, 3});
           OrtSession.Result result = session.run(Map.of("x", t))) {
        assertThat(floats(((OnnxTensor) result.get(0)).getFloatBuffer())).containsExactly(data);
      }
      try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(data), new long[] {3, 2})) {
        assertThatThrownBy(() -> session.run(Map.of("x", t)).close())
            .isInstanceOf(OrtException.class)
            .hasMessageContaining("dimension")
            .satisfies(e -> assertThat(((OrtException) e).getCode())
                .isEqualTo(OrtException.OrtErrorCode.ORT_INVALID_ARGUMENT));
      }
    }
  }

  @Test
  @DisplayName("failingAtRuntime: loads, runs [2, 5], fails with OrtException for [1, 3], then runs again")
  void failingAtRuntime() throws Exception {
    try (OrtSession session = open(OnnxModels.failingAtRuntime(dir))) {
      assertTensor(info(session.getInputInfo(), "x"), OnnxJavaType.FLOAT, -1, -1);
      assertTensor(info(session.getOutputInfo(), "y"), OnnxJavaType.FLOAT, -1, 5);
      float[] ten = new float[10];
      for (int i = 0; i < ten.length; i++) {
        ten[i] = i;
      }
      try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(ten), new long[] {5, 2});
           OrtSession.Result result = session.run(Map.of("x", t))) {
        OnnxTensor y = (OnnxTensor) result.get(0);
        assertThat(y.getInfo().getShape()).containsExactly(2, 5);
        assertThat(floats(y.getFloatBuffer())).containsExactly(ten);
      }
      try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[3]), new long[] {1, 3})) {
        assertThatThrownBy(() -> session.run(Map.of("x", t)).close())
            .isInstanceOf(OrtException.class)
            .hasMessageContaining("Reshape")
            .satisfies(e -> assertThat(((OrtException) e).getCode())
                .isEqualTo(OrtException.OrtErrorCode.ORT_FAIL));
      }
      // The session survives the failure.
      try (OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[5]), new long[] {1, 5});
           OrtSession.Result result = session.run(Map.of("x", t))) {
        assertThat(((OnnxTensor) result.get(0)).getInfo().getShape()).containsExactly(1, 5);
      }
    }
  }

  // -------------------------------------------------------------------------------- MiniLM

  @Test
  @DisplayName("MiniLM: int64 [batch, seq] inputs -> last_hidden_state float32 [2, 16, 384], finite")
  void miniLm() throws Exception {
    int batch = 2;
    int seq = 16;
    long[][] ids = MiniLm.tokenIds(batch, seq, 42);
    assertThat(MiniLm.tokenIds(batch, seq, 42)).isDeepEqualTo(ids);
    for (long[] row : ids) {
      assertThat(row[0]).isEqualTo(101);
      assertThat(row[seq - 1]).isEqualTo(102);
      for (int j = 1; j < seq - 1; j++) {
        assertThat(row[j]).isBetween(1000L, 29999L);
      }
    }
    long[] shape = {batch, seq};
    try (OrtSession session = open(MiniLm.modelFile())) {
      assertThat(session.getInputInfo().keySet())
          .containsExactlyInAnyOrder("input_ids", "attention_mask", "token_type_ids");
      for (String name : session.getInputInfo().keySet()) {
        assertTensor(info(session.getInputInfo(), name), OnnxJavaType.INT64, -1, -1);
      }
      assertThat(session.getOutputInfo().keySet()).containsExactly("last_hidden_state");
      assertTensor(info(session.getOutputInfo(), "last_hidden_state"), OnnxJavaType.FLOAT, -1, -1, 384);

      try (OnnxTensor inputIds = longs(MiniLm.flatten(ids), shape);
           OnnxTensor mask = longs(MiniLm.flatten(MiniLm.attentionMask(batch, seq)), shape);
           OnnxTensor types = longs(MiniLm.flatten(MiniLm.tokenTypeIds(batch, seq)), shape);
           OrtSession.Result result = session.run(Map.of(
               MiniLm.INPUT_IDS, inputIds,
               MiniLm.ATTENTION_MASK, mask,
               MiniLm.TOKEN_TYPE_IDS, types))) {
        OnnxTensor out = (OnnxTensor) result.get(MiniLm.LAST_HIDDEN_STATE).orElseThrow();
        assertThat(out.getInfo().getShape()).containsExactly(batch, seq, MiniLm.HIDDEN);
        float[] values = floats(out.getFloatBuffer());
        assertThat(values).hasSize(batch * seq * MiniLm.HIDDEN);
        double sumSquares = 0;
        for (float v : values) {
          assertThat(Float.isFinite(v)).isTrue();
          sumSquares += v * v;
        }
        assertThat(sumSquares).isGreaterThan(0);
      }
    }
  }

  @Test
  @DisplayName("MiniLM: the file is copied once and shared by concurrent callers")
  void miniLmFileIsCached() throws Exception {
    ExecutorService pool = Executors.newFixedThreadPool(4);
    try {
      List<Callable<Path>> calls = new ArrayList<>();
      for (int i = 0; i < 8; i++) {
        calls.add(MiniLm::modelFile);
      }
      Path first = MiniLm.modelFile();
      for (Future<Path> f : pool.invokeAll(calls)) {
        assertThat(f.get()).isEqualTo(first);
      }
      assertThat(first.getFileName().toString()).isEqualTo(MiniLm.RESOURCE);
      assertThat(Files.size(first)).isGreaterThan(20_000_000L);
    } finally {
      pool.shutdownNow();
    }
    assertThat(MiniLm.attentionMask(1, 3)).isDeepEqualTo(new long[][] {{1, 1, 1}});
    assertThat(MiniLm.tokenTypeIds(1, 3)).isDeepEqualTo(new long[][] {{0, 0, 0}});
    assertThatThrownBy(() -> MiniLm.tokenIds(1, 1, 0)).isInstanceOf(IllegalArgumentException.class);
  }

  // --------------------------------------------------- ONNX Runtime Java API behaviour notes

  @Test
  @DisplayName("ORT API: output getXxxBuffer() returns a heap copy that outlives the result")
  void outputBuffersAreHeapCopies() throws Exception {
    FloatBuffer kept;
    ByteBuffer keptBytes;
    try (OrtSession session = open(OnnxModels.identity(dir, DType.FLOAT32));
         OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {1, 2, 3, 4}), new long[] {2, 2});
         OrtSession.Result result = session.run(Map.of("x", t))) {
      OnnxTensor y = (OnnxTensor) result.get(0);
      assertThat(result.isResultOwner(0)).isTrue();
      FloatBuffer a = y.getFloatBuffer();
      assertThat(a.isDirect()).isFalse();
      assertThat(a.hasArray()).isTrue();
      a.put(0, 99f);
      assertThat(y.getFloatBuffer().get(0)).isEqualTo(1f); // a fresh copy on every call
      kept = y.getFloatBuffer();
      keptBytes = y.getByteBuffer();
      assertThat(keptBytes.isDirect()).isFalse();
      assertThat(keptBytes.order()).isEqualTo(ByteOrder.nativeOrder());
      assertThat(y.getIntBuffer()).isNull(); // the wrong typed reader gives null, not an exception
      assertThat(y.ownsBuffer()).isFalse();
      // Outputs have no Java buffer, and getBufferRef() then throws instead of returning empty.
      assertThatThrownBy(y::getBufferRef).isInstanceOf(NullPointerException.class);
    }
    assertThat(floats(kept)).containsExactly(1, 2, 3, 4); // still readable after close
    assertThat(keptBytes.remaining()).isEqualTo(16);
  }

  @Test
  @DisplayName("ORT API: a direct native-order input buffer is shared with the tensor, a heap one copied")
  void directInputsAreNotCopied() throws Exception {
    try (OrtSession session = open(OnnxModels.identity(dir, DType.FLOAT32))) {
      ByteBuffer direct = ByteBuffer.allocateDirect(16).order(ByteOrder.nativeOrder());
      direct.asFloatBuffer().put(new float[] {1, 2, 3, 4});
      float[] heapArray = {1, 2, 3, 4};
      try (OnnxTensor shared = OnnxTensor.createTensor(env, direct, new long[] {2, 2}, OnnxJavaType.FLOAT);
           OnnxTensor copied = OnnxTensor.createTensor(env, FloatBuffer.wrap(heapArray), new long[] {2, 2})) {
        assertThat(shared.ownsBuffer()).isFalse();
        assertThat(copied.ownsBuffer()).isTrue();
        direct.putFloat(0, 42f); // written after the tensor was created
        heapArray[0] = 42f;
        try (OrtSession.Result r = session.run(Map.of("x", shared))) {
          assertThat(((OnnxTensor) r.get(0)).getFloatBuffer().get(0)).isEqualTo(42f);
        }
        try (OrtSession.Result r = session.run(Map.of("x", copied))) {
          assertThat(((OnnxTensor) r.get(0)).getFloatBuffer().get(0)).isEqualTo(1f);
        }
        // A direct FloatBuffer view (native order) is shared as well.
        FloatBuffer view = direct.asFloatBuffer();
        try (OnnxTensor viewTensor = OnnxTensor.createTensor(env, view, new long[] {2, 2})) {
          assertThat(viewTensor.ownsBuffer()).isFalse();
        }
      }
    }
  }

  @Test
  @DisplayName("ORT API: float16/bfloat16 outputs: getShortBuffer() raw bits, getFloatBuffer() widened")
  void halfOutputs() throws Exception {
    assertThat(Fp16Conversions.floatToFp16(1f)).isEqualTo((short) 0x3C00);
    assertThat(Fp16Conversions.floatToBf16(1f)).isEqualTo((short) 0x3F80);
    for (DType half : List.of(DType.FLOAT16, DType.BFLOAT16)) {
      try (OrtSession session = open(OnnxModels.cast(dir, DType.FLOAT32, half));
           OnnxTensor t = OnnxTensor.createTensor(env, FloatBuffer.wrap(new float[] {1, -2}), new long[] {1, 2});
           OrtSession.Result result = session.run(Map.of("x", t))) {
        OnnxTensor y = (OnnxTensor) result.get(0);
        assertThat(y.getInfo().type).isEqualTo(javaType(half));
        short[] bits = shorts(y.getShortBuffer());
        if (half == DType.FLOAT16) {
          assertThat(bits).containsExactly((short) 0x3C00, (short) 0xC000);
        } else {
          assertThat(bits).containsExactly((short) 0x3F80, (short) 0xC000);
        }
        assertThat(floats(y.getFloatBuffer())).containsExactly(1f, -2f);
        assertThat(y.getValue()).isInstanceOf(float[][].class); // getValue widens too
        assertThat(y.getByteBuffer().remaining()).isEqualTo(4);
      }
    }
  }

  @Test
  @DisplayName("ORT API: string outputs are read with getValue() as String[][]; getByteBuffer() is null")
  void stringAndBoolOutputs() throws Exception {
    try (OrtSession session = open(OnnxModels.identity(dir, DType.STRING));
         OnnxTensor t = OnnxTensor.createTensor(env, new String[] {"a", "b"}, new long[] {1, 2});
         OrtSession.Result result = session.run(Map.of("x", t))) {
      OnnxTensor y = (OnnxTensor) result.get(0);
      assertThat(y.getByteBuffer()).isNull();
      assertThat(y.getValue()).isInstanceOf(String[][].class);
      assertThat(((String[][]) y.getValue())[0]).containsExactly("a", "b");
    }
    try (OrtSession session = open(OnnxModels.identity(dir, DType.BOOL));
         OnnxTensor t = create(DType.BOOL, new double[] {1, 0}, new long[] {1, 2});
         OrtSession.Result result = session.run(Map.of("x", t))) {
      OnnxTensor y = (OnnxTensor) result.get(0);
      assertThat(bytes(y.getByteBuffer())).containsExactly(1, 0);
      assertThat(y.getValue()).isInstanceOf(boolean[][].class);
    }
  }

  // -------------------------------------------------------------------------------- helpers

  private static OnnxJavaType javaType(DType dtype) {
    switch (dtype) {
      case FLOAT32: return OnnxJavaType.FLOAT;
      case FLOAT64: return OnnxJavaType.DOUBLE;
      case FLOAT16: return OnnxJavaType.FLOAT16;
      case BFLOAT16: return OnnxJavaType.BFLOAT16;
      case INT8: return OnnxJavaType.INT8;
      case UINT8: return OnnxJavaType.UINT8;
      case INT16: return OnnxJavaType.INT16;
      case INT32: return OnnxJavaType.INT32;
      case INT64: return OnnxJavaType.INT64;
      case BOOL: return OnnxJavaType.BOOL;
      case STRING: return OnnxJavaType.STRING;
      default: throw new IllegalArgumentException(String.valueOf(dtype));
    }
  }

  private static OnnxTensor longs(long[] data, long[] shape) throws OrtException {
    return OnnxTensor.createTensor(env, LongBuffer.wrap(data), shape);
  }

  /** Random bit patterns (any value, including NaNs and subnormals) for a fixed-size dtype. */
  private static ByteBuffer randomBits(DType dtype, int count, SplittableRandom r) {
    ByteBuffer b = ByteBuffer.allocateDirect(count * dtype.byteSize()).order(ByteOrder.nativeOrder());
    for (int i = 0; i < b.capacity(); i++) {
      b.put(i, (byte) r.nextInt(256));
    }
    if (dtype == DType.BOOL) {
      for (int i = 0; i < count; i++) {
        b.put(i, (byte) (b.get(i) & 1));
      }
    }
    return b;
  }

  /** Creates a tensor from raw native-order bytes, through the buffer type ORT expects. */
  private static OnnxTensor create(DType dtype, ByteBuffer bytes, long[] shape) throws OrtException {
    ByteBuffer b = bytes.duplicate().order(ByteOrder.nativeOrder());
    switch (dtype) {
      case FLOAT32: return OnnxTensor.createTensor(env, b.asFloatBuffer(), shape);
      case FLOAT64: return OnnxTensor.createTensor(env, b.asDoubleBuffer(), shape);
      case FLOAT16:
      case BFLOAT16:
      case INT16: return OnnxTensor.createTensor(env, b.asShortBuffer(), shape, javaType(dtype));
      case INT32: return OnnxTensor.createTensor(env, b.asIntBuffer(), shape);
      case INT64: return OnnxTensor.createTensor(env, b.asLongBuffer(), shape);
      case INT8:
      case UINT8:
      case BOOL: return OnnxTensor.createTensor(env, b, shape, javaType(dtype));
      default: throw new IllegalArgumentException(String.valueOf(dtype));
    }
  }

  /** Creates a tensor holding values exactly representable in the dtype. */
  private static OnnxTensor create(DType dtype, double[] values, long[] shape) throws OrtException {
    int n = values.length;
    switch (dtype) {
      case STRING: {
        String[] s = new String[n];
        for (int i = 0; i < n; i++) {
          s[i] = Long.toString((long) values[i]);
        }
        return OnnxTensor.createTensor(env, s, shape);
      }
      case FLOAT32: {
        float[] a = new float[n];
        for (int i = 0; i < n; i++) {
          a[i] = (float) values[i];
        }
        return OnnxTensor.createTensor(env, FloatBuffer.wrap(a), shape);
      }
      case FLOAT64:
        return OnnxTensor.createTensor(env, DoubleBuffer.wrap(values.clone()), shape);
      case FLOAT16:
      case BFLOAT16:
      case INT16: {
        short[] a = new short[n];
        for (int i = 0; i < n; i++) {
          float v = (float) values[i];
          a[i] = dtype == DType.FLOAT16 ? Fp16Conversions.floatToFp16(v)
              : dtype == DType.BFLOAT16 ? Fp16Conversions.floatToBf16(v)
              : (short) values[i];
        }
        return OnnxTensor.createTensor(env, ShortBuffer.wrap(a), shape, javaType(dtype));
      }
      case INT32: {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
          a[i] = (int) values[i];
        }
        return OnnxTensor.createTensor(env, IntBuffer.wrap(a), shape);
      }
      case INT64: {
        long[] a = new long[n];
        for (int i = 0; i < n; i++) {
          a[i] = (long) values[i];
        }
        return OnnxTensor.createTensor(env, LongBuffer.wrap(a), shape);
      }
      case INT8:
      case UINT8:
      case BOOL: {
        ByteBuffer b = ByteBuffer.allocateDirect(n).order(ByteOrder.nativeOrder());
        for (int i = 0; i < n; i++) {
          b.put(i, (byte) values[i]);
        }
        return OnnxTensor.createTensor(env, b, shape, javaType(dtype));
      }
      default:
        throw new IllegalArgumentException(String.valueOf(dtype));
    }
  }

  /** Reads any tensor's elements as doubles (strings parsed). */
  private static double[] read(DType dtype, OnnxTensor t) throws OrtException {
    switch (dtype) {
      case STRING: {
        String[] s = strings(t);
        double[] d = new double[s.length];
        for (int i = 0; i < s.length; i++) {
          d[i] = Double.parseDouble(s[i]);
        }
        return d;
      }
      case FLOAT32:
      case FLOAT16:
      case BFLOAT16: {
        float[] f = floats(t.getFloatBuffer()); // widened from 16 bits by ORT
        double[] d = new double[f.length];
        for (int i = 0; i < f.length; i++) {
          d[i] = f[i];
        }
        return d;
      }
      case FLOAT64: {
        DoubleBuffer b = t.getDoubleBuffer();
        double[] d = new double[b.remaining()];
        b.get(d);
        return d;
      }
      case INT16: {
        short[] s = shorts(t.getShortBuffer());
        return Arrays.stream(toInts(s)).asDoubleStream().toArray();
      }
      case INT32: {
        IntBuffer b = t.getIntBuffer();
        int[] a = new int[b.remaining()];
        b.get(a);
        return Arrays.stream(a).asDoubleStream().toArray();
      }
      case INT64: {
        LongBuffer b = t.getLongBuffer();
        long[] a = new long[b.remaining()];
        b.get(a);
        return Arrays.stream(a).asDoubleStream().toArray();
      }
      case INT8:
      case BOOL: {
        byte[] a = bytes(t.getByteBuffer());
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
          d[i] = a[i];
        }
        return d;
      }
      case UINT8: {
        byte[] a = bytes(t.getByteBuffer());
        double[] d = new double[a.length];
        for (int i = 0; i < a.length; i++) {
          d[i] = Byte.toUnsignedInt(a[i]);
        }
        return d;
      }
      default:
        throw new IllegalArgumentException(String.valueOf(dtype));
    }
  }

  /** Flattens a string tensor read with getValue() (nested String arrays of any rank). */
  private static String[] strings(OnnxTensor t) throws OrtException {
    List<String> out = new ArrayList<>();
    flattenStrings(t.getValue(), out);
    return out.toArray(new String[0]);
  }

  private static void flattenStrings(Object value, List<String> out) {
    if (value instanceof String) {
      out.add((String) value);
    } else if (value instanceof String[]) {
      out.addAll(Arrays.asList((String[]) value));
    } else {
      for (Object o : (Object[]) value) {
        flattenStrings(o, out);
      }
    }
  }

  private static int[] toInts(short[] s) {
    int[] a = new int[s.length];
    for (int i = 0; i < s.length; i++) {
      a[i] = s[i];
    }
    return a;
  }

  private static float[] floats(FloatBuffer b) {
    float[] a = new float[b.remaining()];
    b.duplicate().get(a);
    return a;
  }

  private static short[] shorts(ShortBuffer b) {
    short[] a = new short[b.remaining()];
    b.duplicate().get(a);
    return a;
  }

  private static byte[] bytes(ByteBuffer b) {
    byte[] a = new byte[b.remaining()];
    b.duplicate().get(a);
    return a;
  }
}
