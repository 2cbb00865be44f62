package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.swell.api.BackendException;
import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.OverloadException;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.batch.BatchPolicy;
import dev.swell.core.testkit.MlpWeights;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.core.testkit.ReferenceBackendProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.Callable;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Dynamic batching and admission limits, on a reference backend that can be made slow. */
class BatchingTest {

  @TempDir Path dir;

  private final ReferenceBackendProvider backend = new ReferenceBackendProvider();
  private final ExecutorService threads = Executors.newFixedThreadPool(16);

  @AfterEach
  void stopThreads() {
    threads.shutdownNow();
  }

  private Path mlp(String name, int seed, String... extra) {
    List<String> props = new ArrayList<>(List.of("op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "" + seed));
    props.addAll(List.of(extra));
    return ReferenceBackendProvider.write(dir.resolve(name + ".ref"), props.toArray(new String[0]));
  }

  private Swell.Builder builder() {
    return Swell.builder().discoverBackends(false).backend(backend).warmupRuns(0);
  }

  private <T> List<Future<T>> inParallel(int n, Callable<T> task) {
    List<Future<T>> fs = new ArrayList<>();
    for (int i = 0; i < n; i++) {
      fs.add(threads.submit(task));
    }
    return fs;
  }

  @Test
  @DisplayName("8 threads of 1-2 row requests to a slow model: joined into calls of up to 16 rows, every answer its own")
  void joinsConcurrentRequests() throws Exception {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    MlpWeights w = MlpWeights.generate(4, 8, 2, 1);
    try (Swell swell = builder().meterRegistry(meters).batching(BatchPolicy.maxRows(16)).build();
         Predictor p = swell.load("m", mlp("slow", 1, "delay_ms", "2"))) {
      AtomicLong seeds = new AtomicLong();
      List<Future<Integer>> fs = inParallel(8, () -> {
        SplittableRandom r = new SplittableRandom(seeds.incrementAndGet());
        for (int i = 0; i < 50; i++) {
          Tensor x = RandomTensors.random(DType.FLOAT32, r, 1 + r.nextInt(2), 4);
          float[] y = p.predict(NamedTensors.of("x", x)).output("y").toFloatArray();
          assertThat(y).containsExactly(w.apply(x.toFloatArray(), (int) x.dim(0)));
        }
        return 50;
      });
      for (Future<Integer> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      List<Long> rows = backend.rowsPerRun();
      long total = rows.stream().mapToLong(Long::longValue).sum();
      System.out.printf("batching: 400 requests (%d rows) in %d model calls, up to %d rows each%n", total,
          rows.size(), rows.stream().mapToLong(Long::longValue).max().orElse(0));
      assertThat(rows.size()).as("model calls for 400 requests").isLessThan(200);
      assertThat(rows).allMatch(n -> n <= 16);
      assertThat(meters.get("swell.batch.rows").summary().max()).isGreaterThan(2);
      assertThat(meters.get("swell.predictions").tags("outcome", "success").timer().count()).isEqualTo(400);
    }
  }

  @Test
  @DisplayName("a joined call never holds more input bytes than BatchPolicy.maxBytes")
  void batchBytesAreBounded() throws Exception {
    // rows of 4 floats = 16 bytes: 64 bytes a call is 4 rows, though maxRows allows 16
    try (Swell swell = builder().batching(BatchPolicy.maxRows(16).maxBytes(64)).build();
         Predictor p = swell.load("m", mlp("slow", 1, "delay_ms", "2"))) {
      AtomicLong seeds = new AtomicLong();
      List<Future<Integer>> fs = inParallel(8, () -> {
        SplittableRandom r = new SplittableRandom(seeds.incrementAndGet());
        for (int i = 0; i < 40; i++) {
          p.predict(NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 1, 4)));
        }
        return 40;
      });
      for (Future<Integer> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      List<Long> rows = backend.rowsPerRun();
      assertThat(rows).allMatch(n -> n <= 4);
      assertThat(rows).anyMatch(n -> n > 1); // still joined
    }
  }

  @Test
  @DisplayName("requests of other trailing shapes are never joined: each caller gets its own input back")
  void incompatibleShapesStayApart() throws Exception {
    Path identity = ReferenceBackendProvider.write(dir.resolve("id.ref"), "op", "identity", "dtype", "float32");
    try (Swell swell = builder().batching(BatchPolicy.maxRows(64)).build(); Predictor p = swell.load(identity)) {
      AtomicLong seeds = new AtomicLong();
      List<Future<Integer>> fs = inParallel(8, () -> {
        SplittableRandom r = new SplittableRandom(seeds.incrementAndGet());
        for (int i = 0; i < 200; i++) {
          Tensor x = RandomTensors.random(DType.FLOAT32, r, 1 + r.nextInt(3), 1 + r.nextInt(3));
          assertThat(p.predict(NamedTensors.of("x", x)).output("y")).isEqualTo(x);
        }
        return 200;
      });
      for (Future<Integer> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
    }
  }

  @Test
  @DisplayName("a request the model fails on fails alone: the others of its batch are answered")
  void failureIsIsolated() throws Exception {
    MlpWeights w = MlpWeights.generate(4, 8, 2, 2);
    try (Swell swell = builder().batching(BatchPolicy.maxRows(32).maxDelay(Duration.ofMillis(20))).build();
         Predictor p = swell.load("m", mlp("picky", 2, "fail_on_negative", "true", "delay_ms", "1"))) {
      AtomicLong n = new AtomicLong();
      List<Future<String>> fs = inParallel(12, () -> {
        long i = n.incrementAndGet();
        float v = i % 4 == 0 ? -1 : i;
        Tensor x = Tensor.of(new float[] {v, v, v, v}, 1, 4);
        try {
          float[] y = p.predict(NamedTensors.of("x", x)).output("y").toFloatArray();
          return Arrays.equals(y, w.apply(x.toFloatArray(), 1)) ? "ok" : "wrong";
        } catch (BackendException e) {
          return v < 0 && e.getMessage().contains("negative") ? "failed alone" : "wrong failure " + e;
        }
      });
      List<String> outcomes = new ArrayList<>();
      for (Future<String> f : fs) {
        outcomes.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(outcomes).containsOnly("ok", "failed alone");
      assertThat(outcomes).filteredOn("failed alone"::equals).hasSize(3);
      assertThat(backend.rowsPerRun()).as("some requests were joined first").anyMatch(r -> r > 1);
    }
  }

  @Test
  @DisplayName("a full batching queue rejects at once with OverloadException; the admitted requests are answered")
  void fullQueueRejects() throws Exception {
    try (Swell swell = builder().batching(BatchPolicy.maxRows(2).queueCapacity(2).workers(1)).build();
         Predictor p = swell.load("m", mlp("slower", 3, "delay_ms", "300"))) {
      List<Future<long[]>> fs = inParallel(12, () -> {
        long t0 = System.nanoTime();
        try {
          p.predict(NamedTensors.of("x", Tensor.of(new float[4], 1, 4)));
          return new long[] {0, System.nanoTime() - t0};
        } catch (OverloadException e) {
          assertThat(e.getMessage()).contains("queueCapacity");
          return new long[] {1, System.nanoTime() - t0};
        }
      });
      long slowestRejection = 0;
      long fastestAnswer = Long.MAX_VALUE;
      int rejected = 0;
      for (Future<long[]> f : fs) {
        long[] r = f.get(30, TimeUnit.SECONDS);
        if (r[0] == 1) {
          rejected++;
          slowestRejection = Math.max(slowestRejection, r[1]);
        } else {
          fastestAnswer = Math.min(fastestAnswer, r[1]);
        }
      }
      assertThat(rejected).isBetween(4, 10);
      // rejections do not wait for the model: all came back before the first answer did
      assertThat(slowestRejection).isLessThan(fastestAnswer);
    }
  }

  @Test
  @DisplayName("maxInFlight rejects calls beyond the limit at once, without batching too")
  void maxInFlight() throws Exception {
    try (Swell swell = builder().maxInFlight(2).build();
         Predictor p = swell.load("m", mlp("slowest", 4, "delay_ms", "150"))) {
      List<Future<String>> fs = inParallel(6, () -> {
        try {
          p.predict(NamedTensors.of("x", Tensor.of(new float[4], 1, 4)));
          return "served";
        } catch (OverloadException e) {
          return "rejected";
        }
      });
      List<String> outcomes = new ArrayList<>();
      for (Future<String> f : fs) {
        outcomes.add(f.get(30, TimeUnit.SECONDS));
      }
      assertThat(outcomes).filteredOn("served"::equals).hasSizeBetween(2, 4);
      assertThat(outcomes).filteredOn("rejected"::equals).hasSizeGreaterThanOrEqualTo(2);
      assertThat(p.predict(NamedTensors.of("x", Tensor.of(new float[4], 1, 4))).version()).isEqualTo("file");
    }
    assertThatThrownBy(() -> Swell.builder().maxInFlight(0)).hasMessageContaining("maxInFlight");
  }

  @Test
  @DisplayName("closing drains the queue: calls already admitted are answered, later ones are refused")
  void closeDrains() throws Exception {
    MlpWeights w = MlpWeights.generate(4, 8, 2, 5);
    Swell swell = builder().batching(BatchPolicy.maxRows(4)).build();
    Predictor p = swell.load("m", mlp("drain", 5, "delay_ms", "20"));
    List<Future<Boolean>> fs = inParallel(8, () -> {
      Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 4);
      return Arrays.equals(p.predict(NamedTensors.of("x", x)).output("y").toFloatArray(), w.apply(x.toFloatArray(), 1));
    });
    Thread.sleep(10); // let them queue
    p.close();
    for (Future<Boolean> f : fs) {
      try {
        assertThat(f.get(30, TimeUnit.SECONDS)).isTrue();
      } catch (ExecutionException e) {
        assertThat(e.getCause()).as("only calls that came after close fail").isInstanceOf(IllegalStateException.class);
      }
    }
    assertThatThrownBy(() -> p.predict(NamedTensors.of("x", Tensor.of(new float[4], 1, 4))))
        .isInstanceOf(IllegalStateException.class);
    swell.close();
    assertThat(backend.openModels()).isZero();
  }

  @Test
  @DisplayName("adaptive: batching is kept where it pays (a call costs the same CPU for 1 or 16 rows) and bypassed "
      + "where it cannot (every row waits as long), measured on the same traffic")
  void adaptsToWhatPays() throws Exception {
    try (Swell swell = builder().batching(BatchPolicy.maxRows(16).workers(2)).build();
         Predictor pays = swell.load("pays", mlp("fixed", 1, "spin_ms", "1"));
         Predictor costs = swell.load("costs", mlp("perrow", 1, "delay_ms_per_row", "2"))) {
      DynamicBatcher paying = ((LocalPredictor) pays).hosted().batcher();
      DynamicBatcher bypassing = ((LocalPredictor) costs).hosted().batcher();
      AtomicBoolean stop = new AtomicBoolean();
      AtomicLong calls = new AtomicLong();
      List<Future<Integer>> fs = inParallel(16, () -> {
        Predictor p = calls.incrementAndGet() % 2 == 0 ? pays : costs; // 8 callers each
        int n = 0;
        while (!stop.get()) {
          p.predict(NamedTensors.of("x", Tensor.of(new float[4], 1, 4)));
          n++;
        }
        return n;
      });
      try {
        // 8 callers each: joined, the fixed-CPU model serves up to 8 rows a millisecond a core against one
        // unjoined; the per-row model serves 4x more unbatched (8 sleeping calls at once against 2 slots)
        await().atMost(Duration.ofSeconds(20)).until(bypassing::bypassed);
        // and it stays so: the probes of batching that follow (after 1 s, then 2 s) lose
        await().during(Duration.ofSeconds(3)).atMost(Duration.ofSeconds(5))
            .until(bypassing::bypassed);
        assertThat(paying.bypassed()).as("batching kept where it pays").isFalse();
      } finally {
        stop.set(true);
      }
      for (Future<Integer> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(paying.bypassed()).isFalse();
    }
  }

  @Test
  @DisplayName("batching through alias moves: 4 threads, 10 swaps, no failed request, every answer from the version it names")
  void batchingAcrossSwaps() throws Exception {
    HotReloadTest.MovableRepository repo = new HotReloadTest.MovableRepository();
    for (int v = 1; v <= 2; v++) {
      repo.files.put("1.0." + v, mlp("v" + v, v, "delay_ms", "1"));
    }
    repo.production = "1.0.1";
    try (Swell swell = builder().repository(repo).refreshInterval(Duration.ofSeconds(30))
        .batching(BatchPolicy.maxRows(8)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      AtomicBoolean stop = new AtomicBoolean();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      AtomicLong served = new AtomicLong();
      AtomicLong seeds = new AtomicLong();
      List<Future<Integer>> fs = inParallel(4, () -> {
        SplittableRandom r = new SplittableRandom(seeds.incrementAndGet());
        while (!stop.get()) {
          Tensor x = RandomTensors.random(DType.FLOAT32, r, 1, 4);
          try {
            Prediction out = p.predict(NamedTensors.of("x", x));
            int seed = out.version().equals("1.0.1") ? 1 : 2;
            if (!Arrays.equals(out.output("y").toFloatArray(), MlpWeights.generate(4, 8, 2, seed).apply(x.toFloatArray(), 1))) {
              failures.add(new AssertionError("answer differs from " + out.version()));
            }
            served.incrementAndGet();
          } catch (Throwable e) {
            failures.add(e);
          }
        }
        return 0;
      });
      for (int move = 0; move < 10; move++) {
        String target = move % 2 == 0 ? "1.0.2" : "1.0.1";
        repo.move(target);
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
        while (!p.version().equals(target)) {
          assertThat(System.nanoTime()).isLessThan(deadline);
          Thread.sleep(1);
        }
        Thread.sleep(20);
      }
      stop.set(true);
      for (Future<Integer> f : fs) {
        f.get(30, TimeUnit.SECONDS);
      }
      assertThat(failures).isEmpty();
      assertThat(served.get()).isGreaterThan(100);
      assertThat(((FollowingPredictor) p).swaps()).isEqualTo(10);
    }
  }

  @Test
  @DisplayName("bug: a caller of a slow model whose request was answered ran the next batch for others "
      + "(its latency two calls); it passes the slot to the waiting caller and returns")
  void answeredCallerOfASlowModelPassesTheSlotOn() throws Exception {
    CountDownLatch firstRuns = new CountDownLatch(1);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    CountDownLatch releaseSecond = new CountDownLatch(1);
    Map<Float, Thread> ranOn = new ConcurrentHashMap<>();
    DynamicBatcher b = new DynamicBatcher("m", "1", (in, deadline) -> {
      float id = in.tensor(0).toFloatArray()[0];
      ranOn.put(id, Thread.currentThread());
      if (id == 1f) {
        firstRuns.countDown();
        holdThenSlowCall(releaseFirst);
      } else {
        holdThenSlowCall(releaseSecond);
      }
      return in;
    }, BatchPolicy.maxRows(8).workers(1).adaptive(false), rows -> { }, System::nanoTime);
    try {
      Future<Thread> first = threads.submit(() -> {
        b.submit(row(1), Long.MAX_VALUE);
        return Thread.currentThread();
      });
      firstRuns.await();
      Future<Thread> second = threads.submit(() -> {
        b.submit(row(2), Long.MAX_VALUE);
        return Thread.currentThread();
      });
      await().atMost(Duration.ofSeconds(10)).until(() -> b.queued() == 1);
      releaseFirst.countDown();
      // the first caller is answered and back while the second request's call still runs
      Thread firstThread = first.get(10, TimeUnit.SECONDS);
      assertThat(second.isDone()).isFalse();
      releaseSecond.countDown();
      Thread secondThread = second.get(10, TimeUnit.SECONDS);
      assertThat(ranOn.get(2f)).isSameAs(secondThread).isNotSameAs(firstThread);
    } finally {
      releaseFirst.countDown();
      releaseSecond.countDown();
      b.close();
    }
  }

  @Test
  @DisplayName("bug: with both slots busy on a slow model, the first slot to free ran the whole queue as one call "
      + "while the other core's call ended idle; each takes its share of the queue")
  void aSlowModelsQueueIsSharedBetweenTheCallSlots() throws Exception {
    CountDownLatch bothRun = new CountDownLatch(2);
    CountDownLatch releaseFirst = new CountDownLatch(1);
    CountDownLatch releaseSecond = new CountDownLatch(1);
    List<Long> rowsPerCall = new CopyOnWriteArrayList<>();
    DynamicBatcher b = new DynamicBatcher("m", "1", (in, deadline) -> {
      float id = in.tensor(0).toFloatArray()[0];
      if (id == 1f || id == 2f) {
        bothRun.countDown();
        holdThenSlowCall(id == 1f ? releaseFirst : releaseSecond);
      }
      return in;
    }, BatchPolicy.maxRows(8).workers(2).adaptive(false), rowsPerCall::add, System::nanoTime);
    try {
      List<Future<?>> calls = new ArrayList<>();
      for (int id = 1; id <= 6; id++) {
        float v = id;
        calls.add(threads.submit(() -> b.submit(row(v), Long.MAX_VALUE)));
        if (id == 2) {
          bothRun.await(); // requests 1 and 2 hold the two call slots
        }
      }
      await().atMost(Duration.ofSeconds(10)).until(() -> b.queued() == 4);
      releaseFirst.countDown(); // one slot frees while the other stays busy
      await().atMost(Duration.ofSeconds(10)).until(() -> b.queued() == 0);
      releaseSecond.countDown();
      for (Future<?> f : calls) {
        f.get(10, TimeUnit.SECONDS);
      }
      List<Long> sorted = new ArrayList<>(rowsPerCall);
      java.util.Collections.sort(sorted);
      assertThat(sorted).as("rows of each call").containsExactly(1L, 1L, 2L, 2L);
    } finally {
      releaseFirst.countDown();
      releaseSecond.countDown();
      b.close();
    }
  }

  /** A request of one row whose first element names it. */
  private static NamedTensors row(float id) {
    return NamedTensors.of("x", Tensor.of(new float[] {id, 0, 0, 0}, 1, 4));
  }

  /** Waits for the test to release the call, then takes milliseconds: a slow model's call. */
  private static void holdThenSlowCall(CountDownLatch release) {
    try {
      release.await();
      Thread.sleep(5);
    } catch (InterruptedException e) {
      throw new IllegalStateException(e);
    }
  }
}
