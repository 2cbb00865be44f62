package dev.swell.core;

import static dev.swell.core.testkit.Await.await;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.DType;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.api.spi.ModelRepository;
import dev.swell.core.testkit.MlpWeights;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.core.testkit.ReferenceBackendProvider;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A predictor bound to an alias follows it, swapping versions without failing a request. */
class HotReloadTest {

  @TempDir Path dir;

  /** An in-memory repository: versions are reference-backend files, one alias, change listeners. */
  static final class MovableRepository implements ModelRepository {
    final Map<String, Path> files = new ConcurrentHashMap<>();
    volatile String production;
    final List<Consumer<String>> listeners = new CopyOnWriteArrayList<>();

    @Override
    public ModelArtifact resolve(String model, VersionSelector selector) {
      String v = selector.kind() != VersionSelector.Kind.ALIAS ? selector.value()
          : selector.value().equals("production") ? production : null;
      Path f = v == null ? null : files.get(v);
      if (f == null) {
        throw new ModelNotFoundException("no " + selector, model, selector.toString());
      }
      return new ModelArtifact(model, v, "ref", f);
    }

    @Override
    public AutoCloseable watch(Consumer<String> listener) {
      listeners.add(listener);
      return () -> listeners.remove(listener);
    }

    void move(String version) {
      production = version;
      listeners.forEach(l -> l.accept("fraud"));
    }
  }

  private MovableRepository repository(int versions) {
    MovableRepository repo = new MovableRepository();
    for (int i = 1; i <= versions; i++) {
      repo.files.put("1.0." + i, ReferenceBackendProvider.write(dir.resolve("v" + i + ".ref"),
          "op", "mlp", "in", "8", "hidden", "16", "out", "2", "seed", "" + i));
    }
    repo.production = "1.0.1";
    return repo;
  }


  @Test
  @DisplayName("8 threads predicting through 50 alias moves: zero failed requests, every answer from the version it names")
  void zeroFailedRequestsAcrossSwaps() throws Exception {
    MovableRepository repo = repository(3);
    Map<String, MlpWeights> weights = new ConcurrentHashMap<>();
    for (int i = 1; i <= 3; i++) {
      weights.put("1.0." + i, MlpWeights.generate(8, 16, 2, i));
    }
    try (Swell swell = Swell.builder().repository(repo).refreshInterval(java.time.Duration.ofMillis(50))
        .warmupRuns(2).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      assertThat(p.version()).isEqualTo("1.0.1");
      AtomicBoolean stop = new AtomicBoolean();
      AtomicBoolean moving = new AtomicBoolean();
      AtomicLong requests = new AtomicLong();
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      List<long[]> steady = new CopyOnWriteArrayList<>();
      List<long[]> duringSwaps = new CopyOnWriteArrayList<>();
      ExecutorService pool = Executors.newFixedThreadPool(8);
      List<Future<?>> workers = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int seed = t;
        workers.add(pool.submit(() -> {
          SplittableRandom r = new SplittableRandom(seed);
          long[] lat = new long[200_000];
          int n = 0;
          boolean phaseMoving = false;
          while (!stop.get()) {
            Tensor x = RandomTensors.random(DType.FLOAT32, r, 1 + r.nextInt(4), 8);
            long t0 = System.nanoTime();
            try {
              Prediction out = p.predict(NamedTensors.of("x", x));
              long dt = System.nanoTime() - t0;
              float[] expected = weights.get(out.version()).apply(x.toFloatArray(), (int) x.dim(0));
              if (!Arrays.equals(out.output("y").toFloatArray(), expected)) {
                failures.add(new AssertionError("answer differs from version " + out.version()));
              }
              if (moving.get() != phaseMoving) {
                (phaseMoving ? duringSwaps : steady).add(Arrays.copyOf(lat, n));
                n = 0;
                phaseMoving = moving.get();
              }
              if (n < lat.length) {
                lat[n++] = dt;
              }
              requests.incrementAndGet();
            } catch (Throwable e) {
              failures.add(e);
            }
          }
          (phaseMoving ? duringSwaps : steady).add(Arrays.copyOf(lat, n));
          return null;
        }));
      }
      Thread.sleep(300); // steady state
      moving.set(true);
      String[] targets = {"1.0.2", "1.0.1", "1.0.3"};
      for (int move = 0; move < 50; move++) {
        String target = targets[move % targets.length];
        repo.move(target);
        await(() -> p.version().equals(target), "swap to " + target);
        Thread.sleep(10);
      }
      moving.set(false);
      Thread.sleep(300);
      stop.set(true);
      for (Future<?> f : workers) {
        f.get(30, TimeUnit.SECONDS);
      }
      pool.shutdown();
      long swaps = ((FollowingPredictor) p).swaps();
      long[] s = concat(steady);
      long[] m = concat(duringSwaps);
      System.out.printf("hot reload: %d requests, %d failed, %d swaps; latency steady p50 %.1f us p99 %.1f us;"
              + " during swaps p50 %.1f us p99 %.1f us%n", requests.get(), failures.size(), swaps,
          pct(s, 50), pct(s, 99), pct(m, 50), pct(m, 99));
      assertThat(failures).isEmpty();
      assertThat(swaps).isEqualTo(50);
      assertThat(requests.get()).isGreaterThan(1000);
    }
  }

  private static long[] concat(List<long[]> parts) {
    return parts.stream().flatMapToLong(Arrays::stream).sorted().toArray();
  }

  private static double pct(long[] sorted, int p) {
    return sorted.length == 0 ? Double.NaN : sorted[Math.min(sorted.length - 1, sorted.length * p / 100)] / 1000.0;
  }

  @Test
  @DisplayName("a version that fails to load, or has an incompatible signature, is not swapped in; the old one serves")
  void badVersionsAreNotSwappedIn() throws Exception {
    MovableRepository repo = repository(1);
    repo.files.put("2.0.0", ReferenceBackendProvider.write(dir.resolve("broken.ref"), "op", "no-such-op"));
    repo.files.put("3.0.0", ReferenceBackendProvider.write(dir.resolve("wider.ref"),
        "op", "mlp", "in", "9", "hidden", "16", "out", "2", "seed", "1"));
    repo.files.put("1.0.2", ReferenceBackendProvider.write(dir.resolve("ok.ref"),
        "op", "mlp", "in", "8", "hidden", "4", "out", "2", "seed", "5"));
    try (Swell swell = Swell.builder().repository(repo).refreshInterval(java.time.Duration.ofMillis(20)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      FollowingPredictor f = (FollowingPredictor) p;
      NamedTensors in = NamedTensors.of("x", Tensor.of(new float[8], 1, 8));
      repo.move("2.0.0");
      await(() -> f.lastError() != null, "a load failure");
      assertThat(f.lastError()).contains("2.0.0");
      assertThat(p.version()).isEqualTo("1.0.1");
      assertThat(p.predict(in).version()).isEqualTo("1.0.1");
      repo.move("3.0.0");
      await(() -> f.lastError() != null && f.lastError().contains("3.0.0"), "an incompatibility");
      assertThat(f.lastError()).contains("input 'x' changes dimension 1 from 8 to 9");
      assertThat(p.predict(in).version()).isEqualTo("1.0.1");
      repo.move("1.0.2"); // compatible: hidden width may change
      await(() -> p.version().equals("1.0.2"), "the compatible version");
      assertThat(f.lastError()).isNull();
      assertThat(p.predict(in).version()).isEqualTo("1.0.2");
    }
  }

  @Test
  @DisplayName("a version that fails on the requests callers send is not swapped in; one that only fails on generated inputs is")
  void warmUpOnRealRequestsGuardsTheSwap() throws Exception {
    MovableRepository repo = repository(1);
    repo.files.put("2.0.0", ReferenceBackendProvider.write(dir.resolve("failing.ref"),
        "op", "mlp", "in", "8", "hidden", "16", "out", "2", "seed", "2", "failing", "true"));
    repo.files.put("3.0.0", ReferenceBackendProvider.write(dir.resolve("ok.ref"),
        "op", "mlp", "in", "8", "hidden", "16", "out", "2", "seed", "3"));
    try (Swell swell = Swell.builder().repository(repo).refreshInterval(java.time.Duration.ofMillis(20)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      FollowingPredictor f = (FollowingPredictor) p;
      NamedTensors in = NamedTensors.of("x", Tensor.of(new float[16], 2, 8));
      assertThat(p.predict(in).version()).isEqualTo("1.0.1"); // sampled as the warm-up request
      repo.move("2.0.0");
      await(() -> f.lastError() != null, "the warm-up failure");
      assertThat(f.lastError()).contains("warm-up on a recent request failed").contains("fails on every call");
      assertThat(p.predict(in).version()).isEqualTo("1.0.1");
      assertThat(swell.health().models().get(0).healthy()).isFalse();
      repo.move("3.0.0");
      await(() -> p.version().equals("3.0.0"), "the good version");
      assertThat(f.lastError()).isNull();
    }
    // loading a model whose generated warm-up inputs fail still works: they are only a guess
    try (Swell swell = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).build();
         Predictor p = swell.load(repo.files.get("2.0.0"))) {
      assertThatThrownBy(() -> p.predict(NamedTensors.of("x", Tensor.of(new float[8], 1, 8))))
          .isInstanceOf(dev.swell.api.BackendException.class).hasMessageContaining("fails on every call");
    }
  }

  @Test
  @DisplayName("a call that catches the old version as it retires is retried on the new one")
  void callOnRetiredVersionIsRetried() throws Exception {
    MovableRepository repo = repository(2);
    try (Swell swell = Swell.builder().repository(repo).refreshInterval(java.time.Duration.ofMillis(20)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      FollowingPredictor f = (FollowingPredictor) p;
      HostedVersion old = f.serving();
      NamedTensors in = NamedTensors.of("x", Tensor.of(new float[8], 1, 8));
      assertThat(f.predictOn(old, in, dev.swell.api.RequestOptions.DEFAULT, Long.MAX_VALUE).version()).isEqualTo("1.0.1");
      repo.move("1.0.2");
      await(() -> p.version().equals("1.0.2"), "the swap");
      // the retire pool closes the old version once its in-flight calls are done
      await(() -> f.predictOn(old, in, dev.swell.api.RequestOptions.DEFAULT, Long.MAX_VALUE) == null, "the old version to retire");
      assertThat(p.predict(in).version()).isEqualTo("1.0.2");
    }
  }

  @Test
  @DisplayName("a following predictor joins a batch into one backend call")
  void followerBatches() {
    MovableRepository repo = repository(1);
    dev.swell.core.testkit.CountingBackendProvider counting =
        new dev.swell.core.testkit.CountingBackendProvider(new ReferenceBackendProvider());
    try (Swell swell = Swell.builder().repository(repo).backend(counting).discoverBackends(false)
        .warmupRuns(0).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      SplittableRandom r = new SplittableRandom(4);
      List<NamedTensors> batch = List.of(
          NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 2, 8)),
          NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, 1, 8)));
      long before = counting.runs();
      List<Prediction> out = p.predictBatch(batch);
      assertThat(counting.runs() - before).isEqualTo(1);
      assertThat(out).extracting(Prediction::version).containsOnly("1.0.1");
      assertThat(out.get(0).output("y").shape()).containsExactly(2, 2);
      assertThat(out.get(1).output("y").shape()).containsExactly(1, 2);
    }
  }

  @Test
  @DisplayName("an exact selector is pinned; closing the runtime closes followers; errors are typed")
  void pinnedAndClosed() {
    MovableRepository repo = repository(2);
    ReferenceBackendProvider ref = new ReferenceBackendProvider();
    Swell swell = Swell.builder().repository(repo).backend(ref).discoverBackends(false).build();
    Predictor pinned = swell.predictor("fraud", VersionSelector.exact("1.0.2"));
    Predictor follower = swell.predictor("fraud", VersionSelector.alias("production"));
    assertThat(pinned.version()).isEqualTo("1.0.2");
    assertThat(ref.openModels()).isEqualTo(2);
    assertThatThrownBy(() -> swell.predictor("fraud", VersionSelector.alias("canary")))
        .isInstanceOf(ModelNotFoundException.class);
    swell.close();
    assertThat(ref.openModels()).isZero();
    assertThatThrownBy(() -> follower.predict("x", Tensor.of(new float[8], 1, 8)))
        .isInstanceOf(IllegalStateException.class);
  }
}
