package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.github.benmanes.caffeine.cache.Ticker;
import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.cache.CachePolicy;
import dev.swell.core.testkit.MlpWeights;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.core.testkit.ReferenceBackendProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Result caching: only identical inputs to the same loaded version hit; bounded; never wrong. */
class ResultCacheTest {

  @TempDir Path dir;

  private static NamedTensors x(float... values) {
    return NamedTensors.of("x", Tensor.of(values, 1, values.length));
  }

  private static NamedTensors y(float v) {
    return NamedTensors.of("y", Tensor.of(new float[] {v}, 1, 1));
  }

  @Test
  @DisplayName("a key holds its own copy: a caller reusing its buffer cannot corrupt the cache")
  void keysCopyTheirInputs() {
    ResultCache cache = new ResultCache(CachePolicy.maxBytes(1 << 20), Ticker.systemTicker());
    ByteBuffer mine = ByteBuffer.allocateDirect(8).order(ByteOrder.nativeOrder());
    mine.putFloat(0, 1f).putFloat(4, 2f);
    NamedTensors in = NamedTensors.of("x", Tensor.fromBuffer(DType.FLOAT32, mine, 1, 2));
    cache.put(1, in, y(3));
    mine.putFloat(0, 9f); // the caller reuses its buffer for the next request
    assertThat(cache.get(1, in)).as("new content, no hit").isNull();
    assertThat(cache.get(1, x(1, 2))).isEqualTo(y(3));
    assertThat(cache.get(2, x(1, 2))).as("another loaded version").isNull();
  }

  @Test
  @DisplayName("equal means bit-identical, in any input order: 0.0 and -0.0 are different inputs")
  void equalityIsBitwise() {
    ResultCache cache = new ResultCache(CachePolicy.maxBytes(1 << 20), Ticker.systemTicker());
    cache.put(1, x(0f), y(1));
    assertThat(cache.get(1, x(-0f))).isNull();
    assertThat(cache.get(1, x(0f))).isEqualTo(y(1));
    NamedTensors ab = NamedTensors.of("a", Tensor.of(new float[] {1}, 1, 1), "b", Tensor.of(new int[] {2}, 1, 1));
    NamedTensors ba = NamedTensors.of("b", Tensor.of(new int[] {2}, 1, 1), "a", Tensor.of(new float[] {1}, 1, 1));
    cache.put(1, ab, y(5));
    assertThat(cache.get(1, ba)).isEqualTo(y(5));
    NamedTensors strings = NamedTensors.of("s", Tensor.of(new String[] {"a", "b"}, 2));
    cache.put(1, strings, y(6));
    assertThat(cache.get(1, NamedTensors.of("s", Tensor.of(new String[] {"a", "b"}, 2)))).isEqualTo(y(6));
    assertThat(cache.get(1, NamedTensors.of("s", Tensor.of(new String[] {"a", "c"}, 2)))).isNull();
  }

  @Test
  @DisplayName("bounded by bytes, entries expire, a version's entries go with it")
  void boundsExpiryInvalidation() {
    long[] now = {0};
    ResultCache cache = new ResultCache(CachePolicy.maxBytes(64 * 1024).expireAfterWrite(Duration.ofSeconds(10)),
        () -> now[0]);
    for (int i = 0; i < 2000; i++) {
      cache.put(1 + i % 2, x(i, i, i, i), y(i));
    }
    assertThat(cache.weightedBytes()).isLessThanOrEqualTo(64 * 1024);
    assertThat(cache.entries()).isBetween(50L, 2000L);
    cache = new ResultCache(CachePolicy.maxBytes(64 * 1024).expireAfterWrite(Duration.ofSeconds(10)), () -> now[0]);
    cache.put(1, x(-1), y(-1));
    cache.put(2, x(-1), y(-2));
    cache.invalidate(1);
    assertThat(cache.get(1, x(-1))).isNull();
    assertThat(cache.get(2, x(-1))).isEqualTo(y(-2));
    now[0] += TimeUnit.SECONDS.toNanos(11);
    assertThat(cache.get(2, x(-1))).as("expired").isNull();
  }

  private Path mlp(String name, int seed) {
    return ReferenceBackendProvider.write(dir.resolve(name + ".ref"),
        "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "" + seed);
  }

  @Test
  @DisplayName("in the runtime: a repeated request skips the model, is counted as a hit, and is not timed as a prediction")
  void runtimeHits() {
    ReferenceBackendProvider backend = new ReferenceBackendProvider();
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Swell swell = Swell.builder().discoverBackends(false).backend(backend).warmupRuns(0)
        .meterRegistry(meters).resultCache(CachePolicy.maxBytes(1 << 20).onlyModels("fraud")).build();
         Predictor fraud = swell.load("fraud", mlp("fraud", 1));
         Predictor other = swell.load("other", mlp("other", 2))) {
      NamedTensors in = x(0.5f, -1, 2, 0);
      Prediction first = fraud.predict(in);
      Prediction again = fraud.predict(x(0.5f, -1, 2, 0));
      assertThat(backend.runs()).isEqualTo(1);
      assertThat(again.outputs()).isEqualTo(first.outputs());
      assertThat(again.version()).isEqualTo(Swell.FILE_VERSION);
      fraud.predict(x(0.5f, -1, 2, 1));
      assertThat(backend.runs()).as("other inputs run").isEqualTo(2);
      other.predict(in);
      other.predict(in);
      assertThat(backend.runs()).as("a model outside onlyModels is not cached").isEqualTo(4);
      assertThatThrownBy(() -> fraud.predict(x(1, 2, 3))).isInstanceOf(InvalidInputException.class);
      assertThatThrownBy(() -> fraud.predict(x(1, 2, 3))).as("never cached").isInstanceOf(InvalidInputException.class);
      assertThat(meters.get("swell.cache.requests").tags("model", "fraud", "result", "hit").counter().count()).isEqualTo(1);
      assertThat(meters.get("swell.cache.requests").tags("model", "fraud", "result", "miss").counter().count()).isEqualTo(2);
      assertThat(meters.get("swell.predictions").tags("model", "fraud", "outcome", "success").timer().count())
          .as("model calls only").isEqualTo(2);
      assertThat(meters.get("swell.cache.entries").gauge().value()).isEqualTo(2);
    }
  }

  @Test
  @DisplayName("after a swap the new version answers: its cache starts empty, the old version's entries are dropped")
  void swapStartsCold() throws Exception {
    ReferenceBackendProvider backend = new ReferenceBackendProvider();
    HotReloadTest.MovableRepository repo = new HotReloadTest.MovableRepository();
    repo.files.put("1.0.1", mlp("v1", 1));
    repo.files.put("1.0.2", mlp("v2", 2));
    repo.production = "1.0.1";
    try (Swell swell = Swell.builder().discoverBackends(false).backend(backend).repository(repo).warmupRuns(0)
        .refreshInterval(Duration.ofSeconds(30)).resultCache(CachePolicy.maxBytes(1 << 20)).build();
         Predictor p = swell.predictor("fraud", VersionSelector.alias("production"))) {
      NamedTensors in = x(1, 2, 3, 4);
      float[] v1 = p.predict(in).output("y").toFloatArray();
      p.predict(in);
      repo.move("1.0.2");
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1)).until(() -> p.version().equals("1.0.2"));
      Prediction after = p.predict(in);
      assertThat(after.version()).isEqualTo("1.0.2");
      assertThat(after.output("y").toFloatArray())
          .containsExactly(MlpWeights.generate(4, 8, 2, 2).apply(new float[] {1, 2, 3, 4}, 1))
          .isNotEqualTo(v1);
      await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(1))
          .until(() -> swell.health().models().size() == 1 && backend.openModels() == 1);
    }
  }

  @Property(tries = 60)
  void cachedAnswersEqualTheModel(@ForAll @IntRange(min = 1, max = 20) int distinct,
      @ForAll @IntRange(min = 1, max = 200) int calls, @ForAll long seed) throws Exception {
    dir = Files.createTempDirectory("swell-cache-property"); // jqwik does not fill @TempDir
    ReferenceBackendProvider backend = new ReferenceBackendProvider();
    SplittableRandom r = new SplittableRandom(seed);
    List<Tensor> pool = new ArrayList<>();
    for (int i = 0; i < distinct; i++) {
      pool.add(RandomTensors.random(DType.FLOAT32, r, 1 + r.nextInt(3), 4));
    }
    MlpWeights w = MlpWeights.generate(4, 8, 2, 3);
    Set<Integer> used = new HashSet<>();
    try (Swell swell = Swell.builder().discoverBackends(false).backend(backend).warmupRuns(0)
        .resultCache(CachePolicy.maxBytes(1 << 20)).build();
         Predictor p = swell.load("m", mlp("m" + seed, 3))) {
      for (int c = 0; c < calls; c++) {
        int i = r.nextInt(distinct);
        used.add(i);
        Tensor t = pool.get(i);
        assertThat(p.predict(NamedTensors.of("x", t)).output("y").toFloatArray())
            .containsExactly(w.apply(t.toFloatArray(), (int) t.dim(0)));
      }
      assertThat(backend.runs()).as("one model call per distinct input").isEqualTo(used.size());
    } finally {
      try (var files = Files.walk(dir)) {
        for (Path f : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
          Files.delete(f);
        }
      }
    }
  }

  @Test
  @DisplayName("8 threads over 16 repeated inputs: every answer right, the model called at most once per input per racing thread")
  void concurrentHits() throws Exception {
    ReferenceBackendProvider backend = new ReferenceBackendProvider();
    MlpWeights w = MlpWeights.generate(4, 8, 2, 4);
    List<Tensor> pool = new ArrayList<>();
    SplittableRandom r = new SplittableRandom(5);
    for (int i = 0; i < 16; i++) {
      pool.add(RandomTensors.random(DType.FLOAT32, r, 2, 4));
    }
    try (Swell swell = Swell.builder().discoverBackends(false).backend(backend).warmupRuns(0)
        .resultCache(CachePolicy.maxBytes(1 << 20)).build();
         Predictor p = swell.load("m", mlp("c", 4))) {
      List<Throwable> failures = new CopyOnWriteArrayList<>();
      AtomicLong calls = new AtomicLong();
      ExecutorService threads = Executors.newFixedThreadPool(8);
      List<Future<?>> fs = new ArrayList<>();
      for (int t = 0; t < 8; t++) {
        int s = t;
        fs.add(threads.submit(() -> {
          SplittableRandom pick = new SplittableRandom(s);
          for (int c = 0; c < 5000; c++) {
            Tensor x = pool.get(pick.nextInt(pool.size()));
            try {
              float[] y = p.predict(NamedTensors.of("x", x)).output("y").toFloatArray();
              if (!Arrays.equals(y, w.apply(x.toFloatArray(), 2))) {
                failures.add(new AssertionError("wrong answer"));
              }
              calls.incrementAndGet();
            } catch (Throwable e) {
              failures.add(e);
            }
          }
        }));
      }
      for (Future<?> f : fs) {
        f.get(60, TimeUnit.SECONDS);
      }
      threads.shutdown();
      assertThat(failures).isEmpty();
      assertThat(calls.get()).isEqualTo(40_000);
      assertThat(backend.runs()).isBetween(16L, 16L * 8);
    }
  }

  @Test
  @DisplayName("the policy refuses nonsense")
  void policyValidated() {
    assertThatThrownBy(() -> CachePolicy.maxBytes(0)).hasMessageContaining("maxBytes");
    assertThatThrownBy(() -> CachePolicy.maxBytes(1).expireAfterWrite(Duration.ZERO)).hasMessageContaining("expireAfterWrite");
    assertThat(CachePolicy.maxBytes(1).onlyModels("a").caches("b")).isFalse();
    assertThat(CachePolicy.maxBytes(1).caches("b")).isTrue();
  }
}
