package dev.swell.bench;

import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtSession;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.batch.BatchPolicy;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.MiniLm;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.FloatBuffer;
import java.nio.LongBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * Throughput under concurrency, with and without dynamic batching: {@code --threads} client
 * threads (default 8) send batch-1 requests without pause to one model, in interleaved rounds of
 * 400 ms per variant, and each round yields the variants' throughput ratios against raw ONNX
 * Runtime (one shared session, called by every thread) in the same round. All sessions use one
 * intra-op thread. Prints the median ratios and the latency percentiles.
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@throughput -DskipTests}
 * ({@code -Dthroughput.args="--threads 16 --rounds 20"}).
 */
public final class BatchingThroughput {

  private static final long BLOCK_NANOS = 400_000_000L;

  private BatchingThroughput() {}

  /** One way to serve a request. */
  interface Call {
    void call() throws Exception;
  }

  /**
   * Runs the measurement.
   *
   * @param args {@code [--threads N] [--rounds N]}
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    int threads = 8;
    int rounds = 12;
    // Maven passes the optional arguments as one string, possibly empty
    args = String.join(" ", args).trim().isEmpty() ? new String[0] : String.join(" ", args).trim().split("\\s+");
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--threads" -> threads = Integer.parseInt(args[++i]);
        case "--rounds" -> rounds = Integer.parseInt(args[++i]);
        default -> throw new IllegalArgumentException("unknown argument " + args[i]);
      }
    }
    System.out.printf("%d client threads, %d rounds of %d ms per variant; ratios are throughput against raw ORT%n",
        threads, rounds, BLOCK_NANOS / 1_000_000);
    System.out.printf("%-16s %-14s %10s %10s %10s %10s %10s%n", "workload", "variant", "req/s", "ratio",
        "p50 us", "p99 us", "rows/call");
    measure("mlp-b1", threads, rounds);
    measure("minilm-s32", threads, rounds);
  }

  private static void measure(String workload, int threads, int rounds) throws Exception {
    Path dir = Files.createTempDirectory("swell-throughput");
    boolean mlp = workload.startsWith("mlp");
    Path model = mlp ? OnnxModels.mlp(dir, 16, 32, 4, 7) : MiniLm.modelFile();
    int seq = 32;
    float[] x = new float[16];
    Arrays.fill(x, 0.5f);
    long[] ids = MiniLm.tokenIds(1, seq, 3)[0];
    long[] mask = new long[seq];
    Arrays.fill(mask, 1);
    long[] types = new long[seq];
    long[] shape = mlp ? new long[] {1, 16} : new long[] {1, seq};
    NamedTensors inputs = mlp ? NamedTensors.of("x", Tensor.of(x, shape))
        : NamedTensors.builder().put("input_ids", Tensor.of(ids, shape)).put("attention_mask", Tensor.of(mask, shape))
            .put("token_type_ids", Tensor.of(types, shape)).build();

    OrtEnvironment env = OrtEnvironment.getEnvironment();
    OrtSession raw;
    try (OrtSession.SessionOptions opts = new OrtSession.SessionOptions()) {
      opts.setOptimizationLevel(OrtSession.SessionOptions.OptLevel.ALL_OPT);
      opts.setIntraOpNumThreads(1);
      opts.setInterOpNumThreads(1);
      raw = env.createSession(model.toString(), opts);
    }
    BackendConfig one = BackendConfig.custom().intraOpThreads(1).interOpThreads(1).build();
    Swell plain = Swell.builder().backendConfig(one).build();
    io.micrometer.core.instrument.simple.SimpleMeterRegistry meters =
        new io.micrometer.core.instrument.simple.SimpleMeterRegistry();
    Swell batched = Swell.builder().backendConfig(one).batching(BatchPolicy.maxRows(32)).meterRegistry(meters)
        .build();
    Predictor p = plain.load(model);
    Predictor b = batched.load(model);
    Map<String, Call> variants = new LinkedHashMap<>();
    variants.put("rawOrt", () -> {
      Map<String, OnnxTensor> in = new HashMap<>(4);
      try {
        if (mlp) {
          in.put("x", OnnxTensor.createTensor(env, FloatBuffer.wrap(x), shape));
        } else {
          in.put("input_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(ids), shape));
          in.put("attention_mask", OnnxTensor.createTensor(env, LongBuffer.wrap(mask), shape));
          in.put("token_type_ids", OnnxTensor.createTensor(env, LongBuffer.wrap(types), shape));
        }
        try (OrtSession.Result r = raw.run(in)) {
          ((OnnxTensor) r.get(0)).getFloatBuffer();
        }
      } finally {
        in.values().forEach(OnnxTensor::close);
      }
    });
    variants.put("swell", () -> p.predict(inputs));
    variants.put("swellBatched", () -> b.predict(inputs));
    try {
      Map<String, List<Double>> ratios = new LinkedHashMap<>();
      Map<String, List<Double>> rates = new LinkedHashMap<>();
      Map<String, List<Long>> latencies = new LinkedHashMap<>();
      for (var v : variants.entrySet()) {
        block(v.getValue(), threads, 1_000_000_000L, null); // warm-up
      }
      Random order = new Random(20261130);
      List<String> names = new ArrayList<>(variants.keySet());
      for (int round = 0; round < rounds; round++) {
        Collections.shuffle(names, order);
        Map<String, Double> rate = new HashMap<>();
        for (String name : names) {
          List<Long> lat = latencies.computeIfAbsent(name, k -> Collections.synchronizedList(new ArrayList<>()));
          rate.put(name, block(variants.get(name), threads, BLOCK_NANOS, lat));
        }
        for (String name : variants.keySet()) {
          rates.computeIfAbsent(name, k -> new ArrayList<>()).add(rate.get(name));
          ratios.computeIfAbsent(name, k -> new ArrayList<>()).add(rate.get(name) / rate.get("rawOrt"));
        }
      }
      for (String name : variants.keySet()) {
        List<Long> lat = new ArrayList<>(latencies.get(name));
        Collections.sort(lat);
        String rows = name.equals("swellBatched")
            ? String.format("%.1f", meters.get("swell.batch.rows").summary().mean()) : "1";
        System.out.printf("%-16s %-14s %10.0f %10.3f %10.1f %10.1f %10s%n", workload, name,
            Gate.median(rates.get(name)), Gate.median(ratios.get(name)), lat.get(lat.size() / 2) / 1e3,
            lat.get(lat.size() * 99 / 100) / 1e3, rows);
      }
    } finally {
      p.close();
      b.close();
      plain.close();
      batched.close();
      raw.close();
    }
  }

  /** Runs the call from {@code threads} threads for a while; returns calls per second. */
  private static double block(Call call, int threads, long nanos, List<Long> latencies) throws Exception {
    AtomicBoolean stop = new AtomicBoolean();
    CountDownLatch done = new CountDownLatch(threads);
    long[] counts = new long[threads];
    List<Thread> ts = new ArrayList<>();
    Exception[] failure = new Exception[1];
    for (int t = 0; t < threads; t++) {
      int me = t;
      Thread th = new Thread(() -> {
        long[] sample = new long[4096];
        int n = 0;
        try {
          while (!stop.get()) {
            long t0 = System.nanoTime();
            call.call();
            long dt = System.nanoTime() - t0;
            if ((counts[me]++ & 15) == 0 && n < sample.length) {
              sample[n++] = dt;
            }
          }
        } catch (Exception e) {
          failure[0] = e;
        } finally {
          if (latencies != null) {
            for (int i = 0; i < n; i++) {
              latencies.add(sample[i]);
            }
          }
          done.countDown();
        }
      });
      ts.add(th);
    }
    long start = System.nanoTime();
    ts.forEach(Thread::start);
    Thread.sleep(nanos / 1_000_000);
    stop.set(true);
    done.await();
    long elapsed = System.nanoTime() - start;
    if (failure[0] != null) {
      throw failure[0];
    }
    return Arrays.stream(counts).sum() / (elapsed / 1e9);
  }
}
