package dev.swell.onnx;

import dev.swell.api.DType;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.NamedTensors;
import dev.swell.api.OverloadException;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.api.spi.ModelRepository;
import dev.swell.core.Swell;
import dev.swell.core.event.VersionLoaded;
import dev.swell.core.testkit.ChildJvm;
import dev.swell.core.testkit.Measure;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Consumer;

/**
 * A child JVM (run with a fixed, pre-touched heap, so only native memory moves) that serves ten
 * 8 MB models round-robin from two threads under a budget that holds three of them and the room to
 * load another (from the footprint and load peak the runtime reported for them), sampling the
 * process's resident memory every millisecond. The same traffic runs once before, in another
 * runtime closed since, so that the JIT, the threads and the allocator's arenas are in the start
 * figure. Prints {@code footprint BYTES}, {@code peak BYTES}, {@code budget BYTES} and
 * {@code result SERVED REJECTED FAILED MAX_ACCOUNTED MAX_RSS_ABOVE_START MAX_RESIDENT_VERSIONS}.
 *
 * <p>Arguments: model folder, requests per thread.
 */
public final class BudgetProbe {

  private static final int THREADS = Integer.getInteger("threads", 2);

  private BudgetProbe() {}

  /** Serves every file of a folder map as version 1.0.0 of its model. */
  static final class Files implements ModelRepository {
    final Map<String, Path> models = new ConcurrentHashMap<>();

    @Override
    public ModelArtifact resolve(String model, VersionSelector selector) {
      Path f = models.get(model);
      if (f == null) {
        throw new ModelNotFoundException("no model " + model, model, selector.toString());
      }
      return new ModelArtifact(model, "1.0.0", "onnx", f);
    }

    @Override
    public AutoCloseable watch(Consumer<String> listener) {
      return () -> { };
    }
  }

  private record Result(long served, long rejected, List<Throwable> failures, long maxAccounted, long maxRss,
      int maxResident, long maxAfterLoad, int loads) {}

  /**
   * Runs.
   *
   * @param args folder, requests per thread
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    ChildJvm.exitWithParent();
    Path dir = Path.of(args[0]);
    int requests = Integer.parseInt(args[1]);
    Files repo = new Files();
    for (int m = 0; m < 10; m++) {
      repo.models.put("m" + m, OnnxModels.mlp(dir, 256, 4096, 256, m)); // ~8 MB of weights each
    }
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(1), 1, 256));
    long footprint = 0;
    long peak = 0;
    try (Swell probe = Swell.builder().repository(repo).memoryBudget(1L << 30).build()) {
      try (Predictor first = probe.load("m0", VersionSelector.exact("1.0.0"))) {
        first.predict(in); // the process's first session also pays one-time costs
      }
      List<VersionLoaded> loads = new CopyOnWriteArrayList<>();
      probe.on(VersionLoaded.class, loads::add);
      for (int m = 1; m <= 3; m++) {
        try (Predictor p = probe.load("m" + m, VersionSelector.exact("1.0.0"))) {
          p.predict(in);
        }
      }
      for (VersionLoaded l : loads) {
        footprint = Math.max(footprint, l.footprintBytes());
        peak = Math.max(peak, l.loadPeakBytes());
      }
    }
    // three versions kept and room to load a fourth, within the nine tenths of the budget loads are planned in
    long budget = (3 * footprint + peak) * 10 / 9;
    System.out.println("footprint " + footprint);
    System.out.println("peak " + peak);
    System.out.println("budget " + budget);
    run(repo, in, budget, requests, Long.MAX_VALUE / 2); // warm-up: JIT, threads, allocator arenas
    long start = Measure.settledResidentKiB() * 1024;
    Result r = run(repo, in, budget, requests, start);
    System.out.println("result " + r.served() + " " + r.rejected() + " " + r.failures().size() + " "
        + r.maxAccounted() + " " + r.maxAfterLoad() + " " + r.maxRss() + " " + r.maxResident() + " " + r.loads());
  }

  private static Result run(Files repo, NamedTensors in, long budget, int requests, long start) throws Exception {
    AtomicLong served = new AtomicLong();
    AtomicLong rejected = new AtomicLong();
    List<Throwable> failures = new CopyOnWriteArrayList<>();
    long maxAccounted = 0;
    int maxResident = 0;
    long maxRss = 0;
    ExecutorService pool = Executors.newFixedThreadPool(THREADS);
    java.util.concurrent.atomic.AtomicLong maxAfterLoad = new java.util.concurrent.atomic.AtomicLong();
    java.util.concurrent.atomic.AtomicInteger loads = new java.util.concurrent.atomic.AtomicInteger();
    try (Swell swell = Swell.builder().repository(repo).memoryBudget(budget).build()) {
      // published once a load is done and its transient buffers are freed: what the resident versions hold
      swell.on(VersionLoaded.class, e -> {
        loads.incrementAndGet();
        maxAfterLoad.accumulateAndGet(Measure.residentKiB() * 1024 - start, Math::max);
      });
      List<Predictor> predictors = new ArrayList<>();
      for (int m = 0; m < 10; m++) {
        predictors.add(swell.load("m" + m, VersionSelector.exact("1.0.0")));
      }
      List<Future<?>> work = new ArrayList<>();
      for (int t = 0; t < THREADS; t++) {
        int offset = t;
        work.add(pool.submit(() -> {
          for (int i = 0; i < requests; i++) {
            Predictor p = predictors.get((i * THREADS + offset) % 10);
            try {
              p.predict(in);
              served.incrementAndGet();
            } catch (OverloadException typed) {
              rejected.incrementAndGet();
            } catch (Throwable e) {
              failures.add(e);
              e.printStackTrace();
            }
          }
        }));
      }
      while (work.stream().anyMatch(f -> !f.isDone())) {
        maxAccounted = Math.max(maxAccounted, swell.residentBytes());
        maxResident = Math.max(maxResident, swell.residentVersions());
        maxRss = Math.max(maxRss, Measure.residentKiB() * 1024 - start);
        Thread.sleep(1); // a sampling period, not synchronisation
      }
      for (Future<?> f : work) {
        f.get();
      }
      predictors.forEach(Predictor::close);
    } finally {
      pool.shutdown();
    }
    return new Result(served.get(), rejected.get(), failures, maxAccounted, maxRss, maxResident, maxAfterLoad.get(),
        loads.get());
  }
}
