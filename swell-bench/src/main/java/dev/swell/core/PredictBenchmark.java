package dev.swell.core;

import ai.djl.Model;
import ai.djl.engine.Engine;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OnnxValue;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Tensor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.cache.CachePolicy;
import dev.swell.onnx.testing.MiniLm;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The cost of one prediction through Swell, beside the same work in plain ONNX Runtime and in
 * DJL's ONNX Runtime engine, in the same JVM, on the same model file and session options
 * (graph optimization "all", one intra-op and one inter-op thread: on a 2-core machine ONNX
 * Runtime's own thread pool fights the benchmark thread and makes every figure noisy). Every variant creates its input
 * tensors from Java arrays and reads its output into a Java array, so they do the same work.
 *
 * <ul>
 *   <li>{@code rawOrt}: {@code OnnxTensor.createTensor} from a wrapped array, {@code session.run},
 *       {@code getFloatBuffer()} into a {@code float[]}, everything closed;
 *   <li>{@code swell}: {@code Tensor.of(array)} (one copy into a direct buffer), {@code predict}
 *       (validation, zero-copy hand-off to ONNX Runtime), {@code toFloatArray()};
 *   <li>{@code swellReusedTensor}: the input tensors made once over direct buffers
 *       ({@code Tensor.fromBuffer}), as a caller that keeps its inputs in native memory would, so
 *       ONNX Runtime reads them in place: no copy on the way in;
 *   <li>{@code swellObserved}: {@code swell} with everything watching: Micrometer metrics (a
 *       {@code SimpleMeterRegistry}), a latency and error alert policy, drift monitoring of the
 *       float inputs (default policy: one call in 16 sampled) — the cost of observability on the
 *       request path;
 *   <li>{@code swellCached}: {@code swell} with a result cache, the same input every call: the
 *       cost of a cache hit (copy of the input arrays into tensors, validation, hashing and
 *       comparing the input bytes, the lookup). A hit hands out the cached output tensors
 *       themselves; the variant reads its element through a view ({@code typedBuffer()}), as
 *       copying 128 × 384 floats into an array would cost the caller the same from any source;
 *   <li>{@code swellCacheMiss}: {@code swell} with a result cache that never hits (every input
 *       differs in one element): the cost of keeping a cache that does not help;
 *   <li>{@code swellCacheSkipped}: the same requests on the same runtime and loaded copy, told
 *       to skip the cache ({@code RequestOptions.noCache()}): what {@code swellCacheMiss} is
 *       compared with, so that two sessions' difference does not pass for the cache's cost;
 *   <li>{@code swellBatched}: {@code swell} with dynamic batching ({@code maxRows(32)}); alone it
 *       measures the hand-off to a batching thread, under concurrency ({@code BatchingThroughput})
 *       what joining calls gains;
 *   <li>{@code djl}: a fresh {@code NDManager} per call (closed, or it leaks), {@code predict},
 *       {@code toFloatArray()}.
 * </ul>
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@jmh -DskipTests
 * -Djmh.args="PredictBenchmark -p workload=mlp-b1"} (see the module README), or through the gate.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Fork(value = 1, jvmArgsAppend = {"-Xmx2g", "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn"})
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
public class PredictBenchmark {

  /** Model and shape: MLP 16→32→4 at batch 1 or 64; MiniLM-L6-v2-q at batch 1, sequence 32 or 128. */
  @Param({"mlp-b1", "mlp-b64", "minilm-b1-s32", "minilm-b1-s128"})
  public String workload;

  private boolean mlp;
  private long[] shape;
  private float[] x;
  private long[] ids;
  private long[] mask;
  private long[] types;

  private OrtEnvironment env;
  private OrtSession raw;
  private Swell swell;
  private dev.swell.api.Predictor predictor;
  private Swell observedSwell;
  private dev.swell.api.Predictor observed;
  private Swell cachedSwell;
  private Swell batchedSwell;
  private dev.swell.api.Predictor batched;
  private Swell forcedSwell;
  private dev.swell.api.Predictor forced;
  /** The always-batching runtime's meters (rows per batched call). */
  public final io.micrometer.core.instrument.simple.SimpleMeterRegistry forcedMeters =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  /** The batched runtime's meters (rows per batched call). */
  public final io.micrometer.core.instrument.simple.SimpleMeterRegistry batchedMeters =
      new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
  private dev.swell.api.Predictor cached;
  private Swell missSwell;
  private dev.swell.api.Predictor missing;
  private float missCounter;
  private float[] missX;
  private long[] missIds;
  private NamedTensors reused;
  private Model djlModel;
  private Predictor<NDList, NDList> djl;
  private Path dir;

  /**
   * Loads the model every way. DJL's engine starts first: it must create the ORT environment.
   *
   * @throws Exception if a model does not load
   */
  @Setup(Level.Trial)
  public void setUp() throws Exception {
    Engine djlEngine = Engine.getEngine("OnnxRuntime");
    dir = Files.createTempDirectory("swell-bench");
    mlp = workload.startsWith("mlp");
    Path model;
    SplittableRandom r = new SplittableRandom(42);
    if (mlp) {
      int batch = Integer.parseInt(workload.substring("mlp-b".length()));
      model = OnnxModels.mlp(dir, 16, 32, 4, 7);
      shape = new long[] {batch, 16};
      x = new float[batch * 16];
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextDouble(-2, 2);
      }
      reused = NamedTensors.of("x", direct(Tensor.of(x, shape)));
    } else {
      String[] parts = workload.split("-");
      int batch = Integer.parseInt(parts[1].substring(1));
      int seq = Integer.parseInt(parts[2].substring(1));
      model = MiniLm.modelFile();
      shape = new long[] {batch, seq};
      long[][] tokens = MiniLm.tokenIds(batch, seq, 42);
      ids = new long[batch * seq];
      for (int b = 0; b < batch; b++) {
        System.arraycopy(tokens[b], 0, ids, b * seq, seq);
      }
      mask = new long[batch * seq];
      java.util.Arrays.fill(mask, 1);
      types = new long[batch * seq];
      reused = directMiniLmInputs();
    }
    env = OrtEnvironment.getEnvironment();
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      opts.setIntraOpNumThreads(1);
      opts.setInterOpNumThreads(1);
      raw = env.createSession(model.toString(), opts);
    }
    swell = Swell.builder()
        .backendConfig(BackendConfig.builder().intraOpThreads(1).interOpThreads(1).build())
        .build();
    predictor = swell.load(model);
    observedSwell = Swell.builder()
        .backendConfig(BackendConfig.builder().intraOpThreads(1).interOpThreads(1).build())
        .meterRegistry(new io.micrometer.core.instrument.simple.SimpleMeterRegistry())
        .alertPolicy(AlertPolicy.p99Above(java.time.Duration.ofSeconds(1)).withErrorRateAbove(0.5))
        .driftPolicy(dev.swell.core.drift.DriftPolicy.defaults())
        .build();
    observed = observedSwell.load(model);
    cachedSwell = Swell.builder()
        .backendConfig(BackendConfig.builder().intraOpThreads(1).interOpThreads(1).build())
        .resultCache(CachePolicy.maxBytes(64 << 20))
        .build();
    cached = cachedSwell.load(model);
    missSwell = Swell.builder()
        .backendConfig(BackendConfig.builder().intraOpThreads(1).interOpThreads(1).build())
        .resultCache(CachePolicy.maxBytes(64 << 20))
        .build();
    missing = missSwell.load(model);
    batchedSwell = Swell.builder()
        .backendConfig(BackendConfig.builder().intraOpThreads(1).interOpThreads(1).build())
        .batching(dev.swell.core.batch.BatchPolicy.maxRows(32).workers(Integer.getInteger("bench.workers", 2)))
        .meterRegistry(batchedMeters)
        .build();
    batched = batchedSwell.load(model);
    forcedSwell = Swell.builder()
        .backendConfig(BackendConfig.builder().intraOpThreads(1).interOpThreads(1).build())
        .batching(dev.swell.core.batch.BatchPolicy.maxRows(32).adaptive(false))
        .meterRegistry(forcedMeters)
        .build();
    forced = forcedSwell.load(model);
    djlModel = Model.newInstance("bench", djlEngine.getEngineName());
    djlModel.load(model, null, Map.of("intraOpNumThreads", "1", "interOpNumThreads", "1",
        "optLevel", "ALL_OPT"));
    djl = djlModel.newPredictor(new NoopTranslator());
  }

  /** The same tensor over a direct buffer: what ONNX Runtime reads in place. */
  private static Tensor direct(Tensor t) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocateDirect((int) t.byteSize()).order(java.nio.ByteOrder.nativeOrder());
    b.put(t.buffer()).flip();
    return Tensor.fromBuffer(t.dtype(), b, t.shape());
  }

  private NamedTensors directMiniLmInputs() {
    return NamedTensors.builder()
        .put("input_ids", direct(Tensor.of(ids, shape)))
        .put("attention_mask", direct(Tensor.of(mask, shape)))
        .put("token_type_ids", direct(Tensor.of(types, shape)))
        .build();
  }

  private NamedTensors miniLmInputs() {
    return NamedTensors.builder()
        .put("input_ids", Tensor.of(ids, shape))
        .put("attention_mask", Tensor.of(mask, shape))
        .put("token_type_ids", Tensor.of(types, shape))
        .build();
  }

  /**
   * Closes everything.
   *
   * @throws Exception if something fails to close
   */
  @TearDown(Level.Trial)
  public void tearDown() throws Exception {
    djl.close();
    djlModel.close();
    predictor.close();
    swell.close();
    observed.close();
    observedSwell.close();
    cached.close();
    cachedSwell.close();
    missing.close();
    missSwell.close();
    batched.close();
    batchedSwell.close();
    forced.close();
    forcedSwell.close();
    raw.close();
  }

  /**
   * Plain ONNX Runtime, written as a user would.
   *
   * @return the output, read into an array
   * @throws Exception never in practice
   */
  @Benchmark
  public float[] rawOrt() throws Exception {
    Map<String, OnnxTensor> in = new HashMap<>(8);
    try {
      if (mlp) {
        in.put("x", OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape));
      } else {
        in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
        in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
        in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
      }
      try (OrtSession.Result result = raw.run(in)) {
        OnnxValue v = result.get(0);
        FloatBuffer fb = ((OnnxTensor) v).getFloatBuffer();
        float[] out = new float[fb.remaining()];
        fb.get(out);
        return out;
      }
    } finally {
      for (OnnxTensor t : in.values()) {
        t.close();
      }
    }
  }

  /**
   * Swell, inputs made from arrays on each call.
   *
   * @return the output, read into an array
   */
  @Benchmark
  public float[] swell() {
    NamedTensors in = mlp ? NamedTensors.of("x", Tensor.of(x, shape)) : miniLmInputs();
    Prediction p = predictor.predict(in);
    return p.outputs().tensors().get(0).toFloatArray();
  }

  /**
   * Swell with metrics, alerts and drift monitoring on.
   *
   * @return the output, read into an array
   */
  @Benchmark
  public float[] swellObserved() {
    Prediction p = observed.predict(mlp ? NamedTensors.of("x", Tensor.of(x, shape)) : miniLmInputs());
    return p.outputs().tensors().get(0).toFloatArray();
  }

  /**
   * Swell with dynamic batching.
   *
   * @return the output, read into an array
   */
  @Benchmark
  public float[] swellBatched() {
    Prediction p = batched.predict(mlp ? NamedTensors.of("x", Tensor.of(x, shape)) : miniLmInputs());
    return p.outputs().tensors().get(0).toFloatArray();
  }

  /**
   * Swell with dynamic batching that never adapts (always batches).
   *
   * @return the output, read into an array
   */
  public float[] swellBatchedForced() {
    Prediction p = forced.predict(mlp ? NamedTensors.of("x", Tensor.of(x, shape)) : miniLmInputs());
    return p.outputs().tensor(0).toFloatArray();
  }

  /**
   * Binds a further meter registry to the always-batching runtime (from now on it sees that
   * runtime's meters too, for example the rows of each joined call).
   *
   * @param registry the registry
   */
  public void bindForced(io.micrometer.core.instrument.MeterRegistry registry) {
    forcedSwell.bindTo(registry);
  }

  /**
   * One unbatched Swell call of {@code k} rows (the workload's row repeated), inputs made from
   * arrays: what one caller sending pre-batched requests does.
   *
   * @param k rows, at least 1
   * @return the output, read into an array
   */
  public float[] swellRows(int k) {
    long[] s = shape.clone();
    s[0] = k * shape[0];
    NamedTensors in;
    if (mlp) {
      in = NamedTensors.of("x", Tensor.of(repeat(x, k), s));
    } else {
      in = NamedTensors.builder().put("input_ids", Tensor.of(repeat(ids, k), s))
          .put("attention_mask", Tensor.of(repeat(mask, k), s)).put("token_type_ids", Tensor.of(repeat(types, k), s))
          .build();
    }
    return predictor.predict(in).outputs().tensor(0).toFloatArray();
  }

  /** An array and a row count; arrays compare by identity. */
  private record Repeat(Object array, int k) {}

  private final Map<Repeat, Object> repeated = new java.util.concurrent.ConcurrentHashMap<>();

  private float[] repeat(float[] a, int k) {
    return (float[]) repeated.computeIfAbsent(new Repeat(a, k), key -> {
      float[] r = new float[a.length * k];
      for (int i = 0; i < k; i++) {
        System.arraycopy(a, 0, r, i * a.length, a.length);
      }
      return r;
    });
  }

  private long[] repeat(long[] a, int k) {
    return (long[]) repeated.computeIfAbsent(new Repeat(a, k), key -> {
      long[] r = new long[a.length * k];
      for (int i = 0; i < k; i++) {
        System.arraycopy(a, 0, r, i * a.length, a.length);
      }
      return r;
    });
  }

  /**
   * Swell with a result cache, answering from it (the same input every call); the output is read
   * through a view of the cached tensor, not copied.
   *
   * @return the first output element
   */
  @Benchmark
  public float swellCached() {
    Prediction p = cached.predict(mlp ? NamedTensors.of("x", Tensor.of(x, shape)) : miniLmInputs());
    return ((FloatBuffer) p.outputs().tensor(0).typedBuffer()).get(0);
  }

  /**
   * Swell with a result cache that never hits: every request differs from all earlier ones in
   * its first element.
   *
   * @return the output, read into an array
   */
  @Benchmark
  public float[] swellCacheMiss() {
    return missing.predict(newInputs()).outputs().tensor(0).toFloatArray();
  }

  /** Inputs unlike any before: the same arrays every call, one element changed in place (Tensor.of copies them, as in swell()). */
  private NamedTensors newInputs() {
    if (mlp) {
      if (missX == null) {
        missX = x.clone();
      }
      missX[0] = missCounter++;
      return NamedTensors.of("x", Tensor.of(missX, shape));
    }
    if (missIds == null) {
      missIds = ids.clone();
    }
    missIds[1] = 1000 + (long) missCounter++;
    return NamedTensors.builder().put("input_ids", Tensor.of(missIds, shape))
        .put("attention_mask", Tensor.of(mask, shape)).put("token_type_ids", Tensor.of(types, shape)).build();
  }

  /**
   * The requests of {@code swellCacheMiss}, on the same runtime and loaded copy, told to skip the
   * cache ({@code RequestOptions.noCache()}, which takes the path of a runtime without one): the
   * yardstick for the cost of a cache that never hits, free of the few percent by which two
   * sessions of one model can differ.
   *
   * @return the output, read into an array
   */
  @Benchmark
  public float[] swellCacheSkipped() {
    return missing.predict(newInputs(), NO_CACHE).outputs().tensor(0).toFloatArray();
  }

  private static final dev.swell.api.RequestOptions NO_CACHE = dev.swell.api.RequestOptions.builder().noCache().build();

  /**
   * Swell, input tensors made once and reused (the zero-copy path).
   *
   * @return the output, read into an array
   */
  @Benchmark
  public float[] swellReusedTensor() {
    Prediction p = predictor.predict(reused);
    return p.outputs().tensors().get(0).toFloatArray();
  }

  /**
   * Not Swell: the work any cache hit must do, the yardstick for {@code swellCached} in the gate
   * (a hit is microseconds, a MiniLM call milliseconds, so their ratio moves with the machine
   * more than with the hit). Copies the input arrays into new buffers, as {@code Tensor.of} does,
   * and hashes their bytes eight at a time.
   *
   * @return the hash
   */
  @Benchmark
  public long keyWork() {
    long h = 0;
    if (mlp) {
      h = hash(h, x);
    } else {
      h = hash(hash(hash(h, ids), mask), types);
    }
    return h;
  }

  private static long hash(long h, float[] a) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(a.length * 4).order(java.nio.ByteOrder.nativeOrder());
    b.asFloatBuffer().put(a);
    return hash(h, b);
  }

  private static long hash(long h, long[] a) {
    java.nio.ByteBuffer b = java.nio.ByteBuffer.allocate(a.length * 8).order(java.nio.ByteOrder.nativeOrder());
    b.asLongBuffer().put(a);
    return hash(h, b);
  }

  private static long hash(long h, java.nio.ByteBuffer b) {
    int n = b.remaining();
    for (int i = 0; i + 8 <= n; i += 8) {
      h = h * 0x9E3779B97F4A7C15L + b.getLong(i);
    }
    return h;
  }

  /**
   * DJL's ONNX Runtime engine with a per-call NDManager.
   *
   * @return the output, read into an array
   * @throws Exception never in practice
   */
  @Benchmark
  public float[] djl() throws Exception {
    try (NDManager m = NDManager.newBaseManager()) {
      NDList in;
      if (mlp) {
        NDArray a = m.create(x, new Shape(shape));
        a.setName("x");
        in = new NDList(a);
      } else {
        NDArray a = m.create(ids, new Shape(shape));
        a.setName("input_ids");
        NDArray b = m.create(mask, new Shape(shape));
        b.setName("attention_mask");
        NDArray c = m.create(types, new Shape(shape));
        c.setName("token_type_ids");
        in = new NDList(a, b, c);
      }
      NDList out = djl.predict(in);
      float[] y = out.get(0).toFloatArray();
      out.close();
      return y;
    }
  }
}
