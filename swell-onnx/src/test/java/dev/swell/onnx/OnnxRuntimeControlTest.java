package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import dev.swell.api.DType;
import dev.swell.api.DeadlineExceededException;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.OverloadException;
import dev.swell.api.Predictor;
import dev.swell.api.RequestOptions;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.core.testkit.CountingBackendProvider;
import dev.swell.core.testkit.Measure;
import dev.swell.core.testkit.PairedLatency;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.MiniLm;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The runtime's control on real ONNX Runtime sessions: shared copies, signatures, deadlines, budgets. */
class OnnxRuntimeControlTest {

  @TempDir Path dir;

  @Test
  @DisplayName("one version followed by three predictors and an experiment arm opens one native session")
  void oneSessionPerVersion() {
    BudgetProbe.Files repo = new BudgetProbe.Files();
    repo.models.put("scorer", OnnxModels.mlp(dir, 16, 32, 4, 1));
    long before = OnnxNativeStats.openSessions();
    try (Swell swell = Swell.builder().repository(repo).build()) {
      List<Predictor> users = new ArrayList<>();
      for (int i = 0; i < 3; i++) {
        users.add(swell.predictor("scorer", VersionSelector.alias("production")));
      }
      users.add(swell.load("scorer", VersionSelector.exact("1.0.0")));
      assertThat(OnnxNativeStats.openSessions() - before).isEqualTo(1);
      assertThat(swell.residentVersions()).isEqualTo(1);
      users.forEach(Predictor::close);
      assertThat(OnnxNativeStats.openSessions()).isEqualTo(before);
    }
  }

  @Test
  @DisplayName("bug: inputs that disagree on a named dimension reached ONNX Runtime; they are refused before")
  void namedDimensionsMustAgree() {
    CountingBackendProvider counting = new CountingBackendProvider(new OnnxBackendProvider());
    try (Swell swell = Swell.builder().discoverBackends(false).backend(counting).build();
         Predictor p = swell.load(MiniLm.modelFile())) {
      assertThat(p.signature().toString()).contains("input_ids: int64[batch_size x sequence_length]");
      long runs = counting.runs();
      NamedTensors bad = NamedTensors.builder()
          .put(MiniLm.INPUT_IDS, Tensor.of(MiniLm.flatten(MiniLm.tokenIds(1, 16, 1)), 1, 16))
          .put(MiniLm.ATTENTION_MASK, Tensor.of(MiniLm.flatten(MiniLm.attentionMask(1, 8)), 1, 8))
          .put(MiniLm.TOKEN_TYPE_IDS, Tensor.of(MiniLm.flatten(MiniLm.tokenTypeIds(1, 16)), 1, 16))
          .build();
      assertThatThrownBy(() -> p.predict(bad)).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("attention_mask").hasMessageContaining("sequence_length")
          .hasMessageContaining("as in input 'input_ids'");
      assertThat(counting.runs()).as("no native call").isEqualTo(runs);
    }
  }

  @Test
  @DisplayName("bug: a model whose input has 0 rows in a fixed dimension 0 could never be called")
  void zeroRowModelIsCallable() {
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(OnnxModels.zeroRows(dir))) {
      assertThat(p.predict("x", Tensor.of(new float[0], 0, 3)).output("y").shape()).containsExactly(0, 3);
    }
  }

  @Test
  @DisplayName("bug: an input declared without a shape refused every non-scalar; it takes any rank, a scalar input stays rank 0")
  void unshapedInputTakesAnyRank() {
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(OnnxModels.unshaped(dir))) {
      TensorSpec x = p.signature().input("x").orElseThrow();
      assertThat(x.hasShape()).isFalse();
      assertThat(x.toString()).isEqualTo("x: float32[any shape]");
      assertThat(p.signature().input("s").orElseThrow().rank()).isZero();
      Tensor s = Tensor.of(new float[] {7}, new long[0]);
      assertThat(p.predict(NamedTensors.of("x", Tensor.of(new float[6], 2, 3), "s", s)).output("y").shape())
          .containsExactly(2, 3);
      assertThat(p.predict(NamedTensors.of("x", Tensor.of(new float[5], 5), "s", s)).output("y").shape())
          .containsExactly(5);
      assertThatThrownBy(() -> p.predict(NamedTensors.of("x", Tensor.of(new float[1], 1), "s", Tensor.of(new float[1], 1))))
          .isInstanceOf(InvalidInputException.class).hasMessageContaining("rank 0");
    }
  }

  @Test
  @DisplayName("a running ONNX call is terminated at its deadline: p99 time to the exception within 5 ms of it")
  void deadlineTerminatesInNativeCode() throws Exception {
    // 600 steps: ~190 ms on a slow day here was ~130 ms on a faster one, under the 150 ms this needs
    Path slow = OnnxModels.slowChain(dir, 1024, 600);
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(3), 32, 1024));
    // callers sleeping until the deadline (the default): only measured. Beside a core busy in ONNX
    // Runtime this VM wakes a sleeping thread up to ~3 ms late at p99, Swell or not
    PairedLatency sleeping = deadlineRun(Swell.builder(), slow, in, 0);
    // callers spinning the last 4 ms (Swell.Builder.deadlineSpin): on a core when the deadline comes
    PairedLatency spinning = deadlineRun(Swell.builder().deadlineSpin(Duration.ofMillis(4)), slow, in, 4);
    System.out.printf("ONNX deadline 50 ms, against raw ONNX Runtime with the same deadline made by hand:%n"
        + "  sleeping: %s%n  deadlineSpin(4 ms): %s%n", sleeping, spinning);
    // The claim, p99 within 5 ms of the deadline, judged against a control in the same run: raw ONNX
    // Runtime with the deadline made by hand (the model on a worker, the caller waiting as Swell's
    // does, then terminating the run). A plain thread waiting on an idle machine was no control: it
    // kept 55.6 ms on a busy CI machine where Swell's caller, beside a core busy in the model, took
    // 60.1 ms; and two p99s of 200 calls differ by a few ms by chance (locally raw 50.1-50.5 ms and
    // Swell 52.3-53.5 ms in three runs, then 51.0 and 52.0 in the fourth, the same number of calls
    // over 51 ms on either side, each taken off its core for ~2 ms while it spun)
    spinning.assertKeepsBound("deadlineSpin(4 ms)", 0.5);
  }

  /**
   * 200 calls with a 50 ms deadline on a model of several hundred ms, each followed by the same deadline made by
   * hand on raw ONNX Runtime: the time to the exception, and the control's.
   */
  private static PairedLatency deadlineRun(Swell.Builder builder, Path slow, NamedTensors in, int spinMs) throws Exception {
    ExecutorService worker = Executors.newSingleThreadExecutor();
    try (Swell swell = builder.backendConfig(BackendConfig.builder().intraOpThreads(1).build()).build();
         Predictor p = swell.load(slow);
         RawOrt raw = new RawOrt(slow, 1)) {
      long t0 = System.nanoTime();
      p.predict(in);
      double fullMs = (System.nanoTime() - t0) / 1e6;
      assertThat(fullMs).as("the model takes longer than the deadline").isGreaterThan(150);
      RequestOptions fifty = RequestOptions.builder().timeout(Duration.ofMillis(50)).build();
      for (int i = 0; i < 100; i++) { // both paths compiled by the JIT before they are timed (20 were too few)
        assertThatThrownBy(() -> p.predict(in, fifty)).isInstanceOf(DeadlineExceededException.class);
        raw.deadlineByHand(in, 50_000_000L, spinMs * 1_000_000L, worker);
      }
      long[] took = new long[200];
      long[] control = new long[took.length];
      System.gc(); // the earlier tests' garbage collected before the run, not during it
      long[] gcBefore = Measure.collections();
      for (int i = 0; i < took.length; i++) {
        long s = System.nanoTime();
        RuntimeException failure = null;
        try {
          p.predict(in, fifty);
        } catch (RuntimeException e) {
          failure = e;
        }
        took[i] = System.nanoTime() - s;
        assertThat(failure).isInstanceOf(DeadlineExceededException.class).hasMessageContaining("while the model ran");
        control[i] = raw.deadlineByHand(in, 50_000_000L, spinMs * 1_000_000L, worker);
      }
      long[] gcAfter = Measure.collections();
      System.out.printf("ONNX deadline: a %.0f ms call with a 50 ms deadline, %d GCs (%d ms) during the run%n", fullMs,
          gcAfter[0] - gcBefore[0], gcAfter[1] - gcBefore[1]);
      // the caller returns at the deadline; the terminated native call ends just behind it
      await().atMost(Duration.ofSeconds(5)).until(() -> OnnxNativeStats.openTensors() == 0
          && OnnxNativeStats.openResults() == 0);
      return new PairedLatency(took, control, 55_000_000L);
    } finally {
      worker.shutdownNow();
    }
  }

  @Test
  @DisplayName("bug: closing a session waited forever for a call; it gives up after its timeout and leaves the session open")
  void closeTimesOut() throws Exception {
    Path slow = OnnxModels.slowChain(dir, 1024, 800); // a call well past the 100 ms close timeout on a fast day
    NamedTensors in = NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, new SplittableRandom(3), 32, 1024));
    long before = OnnxNativeStats.openSessions();
    try (Swell swell = Swell.builder().warmupRuns(0).backendConfig(BackendConfig.builder().intraOpThreads(1)
        .option(OnnxBackendProvider.CLOSE_TIMEOUT, "100").build()).drainTimeout(Duration.ofMillis(50)).build()) {
      Predictor p = swell.load(slow);
      ExecutorService pool = Executors.newSingleThreadExecutor();
      Future<?> running = pool.submit(() -> p.predict(in));
      await().atMost(Duration.ofSeconds(5)).until(() -> OnnxNativeStats.openTensors() > 0); // the call is in ONNX Runtime
      long t0 = System.nanoTime();
      p.close();
      double closeMs = (System.nanoTime() - t0) / 1e6;
      assertThat(closeMs).as("close returned, ms").isLessThan(1_000);
      assertThat(OnnxNativeStats.openSessions() - before).as("the busy session is left open, not freed under the call")
          .isEqualTo(1);
      running.get(60, TimeUnit.SECONDS); // the call completes on its session
      pool.shutdown();
    }
  }

  @Test
  @DisplayName("residency by bytes: 10 models of which 3 fit, round-robin traffic; no failure beyond typed rejections")
  void memoryBudget() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(java.nio.file.Files.exists(Path.of("/proc/self/clear_refs")),
        "needs Linux /proc");
    try (dev.swell.core.testkit.ChildJvm.Running child = dev.swell.core.testkit.ChildJvm.builder(BudgetProbe.class)
        .jvmArg("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch").args(dir.toString(), "150")
        .start(dir.resolve("budget.txt"))) {
      assertThat(child.process().waitFor(300, TimeUnit.SECONDS)).as("the probe finished").isTrue();
      assertThat(child.process().exitValue()).as("probe exit; output:%n%s", child.output()).isZero();
      long footprint = field(child.lines(), "footprint", 1);
      long peak = field(child.lines(), "peak", 1);
      long budget = field(child.lines(), "budget", 1);
      long served = field(child.lines(), "result", 1);
      long rejected = field(child.lines(), "result", 2);
      long failed = field(child.lines(), "result", 3);
      long accounted = field(child.lines(), "result", 4);
      long afterLoad = field(child.lines(), "result", 5);
      long transientPeak = field(child.lines(), "result", 6);
      long loads = field(child.lines(), "result", 8);
      System.out.printf("memory budget %.1f MiB (three versions of %.1f MiB kept and %.1f MiB at a load's peak; "
              + "10 round-robin): %d served, %d typed rejections, %d failed, %d loads; accounted footprints at most "
              + "%.1f MiB; resident memory above the start after each load at most %.1f MiB (%.2f of the budget), "
              + "during loads at most %.1f MiB (%.2f)%n",
          mib(budget), mib(footprint), mib(peak), served, rejected, failed, loads, mib(accounted), mib(afterLoad),
          (double) afterLoad / budget, mib(transientPeak), (double) transientPeak / budget);
      assertThat(failed).as("failed requests").isZero();
      assertThat(served + rejected).isEqualTo(300);
      assertThat(loads).as("versions were unloaded and loaded again to fit").isGreaterThan(50);
      assertThat(accounted).as("accounted footprints").isLessThanOrEqualTo(budget);
      assertThat(afterLoad).as("resident native memory after loads").isLessThanOrEqualTo((long) (budget * 1.05));
    }
  }

  private static double mib(long bytes) {
    return bytes / 1048576.0;
  }

  /** Field {@code index} (1-based, after the key) of the child's line that starts with {@code key}. */
  private static long field(List<String> lines, String key, int index) {
    String line = lines.stream().filter(l -> l.startsWith(key + " ")).findFirst()
        .orElseThrow(() -> new AssertionError("no line '" + key + "' in " + lines));
    return Long.parseLong(line.split(" ")[index]);
  }

  @Test
  @DisplayName("a version that cannot fit the budget alone is refused with a clear error; the serving version stays")
  void tooBigForTheBudget() {
    BudgetProbe.Files repo = new BudgetProbe.Files();
    repo.models.put("big", OnnxModels.mlp(dir, 256, 4096, 256, 1));
    try (Swell swell = Swell.builder().repository(repo).memoryBudget(1 << 20).build()) {
      assertThatThrownBy(() -> swell.load("big", VersionSelector.exact("1.0.0"))).isInstanceOf(OverloadException.class)
          .hasMessageContaining("memory budget is 1 MiB");
      assertThat(swell.residentVersions()).isZero();
    }
  }
}
