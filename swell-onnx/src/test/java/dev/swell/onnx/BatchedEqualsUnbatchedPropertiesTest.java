package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.core.batch.BatchPolicy;
import dev.swell.core.batch.SequencePadding;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Dynamic batching never changes an answer: for random request sizes (and, padded, sequence
 * lengths) arriving concurrently in a random order, each caller's outputs equal, element for
 * element, what the same request gets from an unbatched runtime, on real ONNX Runtime sessions.
 * Batching is forced ({@code adaptive(false)}) and waits 20 ms for company, so the requests of a
 * try really are joined (checked: some call holds more rows than any one request).
 */
class BatchedEqualsUnbatchedPropertiesTest {

  private static Path dir;
  private static Swell plain;
  private static Swell batching;
  private static Swell padding;
  private static SimpleMeterRegistry batchingMeters;
  private static SimpleMeterRegistry paddingMeters;
  private static Predictor mlp;
  private static Predictor mlpBatched;
  private static Predictor encoder;
  private static Predictor encoderPadded;
  private static ExecutorService callers;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("swell-batched-props");
    BatchPolicy policy = BatchPolicy.maxRows(64).maxDelay(Duration.ofMillis(20)).adaptive(false);
    plain = Swell.builder().build();
    batchingMeters = new SimpleMeterRegistry();
    batching = Swell.builder().meterRegistry(batchingMeters).batching(policy).build();
    paddingMeters = new SimpleMeterRegistry();
    padding = Swell.builder().meterRegistry(paddingMeters).batching(policy.padding(
        SequencePadding.mask("attention_mask").pad("input_ids", 0).outputs("hidden"))).build();
    Path m = OnnxModels.mlp(dir, 16, 32, 4, 99);
    mlp = plain.load(m);
    mlpBatched = batching.load(m);
    Path e = OnnxModels.sequenceEncoder(dir);
    encoder = plain.load(e);
    encoderPadded = padding.load(e);
    callers = Executors.newFixedThreadPool(12);
  }

  @AfterContainer
  static void stop() {
    callers.shutdownNow();
    padding.close();
    batching.close();
    plain.close();
  }

  @Property(tries = 40)
  void batchedMlpEqualsUnbatched(@ForAll @IntRange(min = 2, max = 12) int requests, @ForAll long seed)
      throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    List<NamedTensors> in = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      int rows = 1 + r.nextInt(5);
      in.add(NamedTensors.of("x", RandomTensors.random(DType.FLOAT32, r, rows, 16)));
    }
    long callsBefore = calls(batchingMeters);
    List<NamedTensors> out = concurrently(in, seed, x -> mlpBatched.predict(x).outputs());
    for (int i = 0; i < requests; i++) {
      assertThat(out.get(i)).as("request %d of %d", i, requests).isEqualTo(mlp.predict(in.get(i)).outputs());
    }
    assertThat(calls(batchingMeters) - callsBefore).as("model calls for %d requests: some were joined", requests)
        .isLessThan(requests);
  }

  @Property(tries = 40)
  void paddedBatchEqualsUnbatched(@ForAll @IntRange(min = 2, max = 12) int requests, @ForAll long seed)
      throws Exception {
    SplittableRandom r = new SplittableRandom(seed);
    List<NamedTensors> in = new ArrayList<>();
    for (int i = 0; i < requests; i++) {
      int rows = 1 + r.nextInt(3);
      int seq = 1 + r.nextInt(9);
      long[] ids = new long[rows * seq];
      long[] mask = new long[rows * seq];
      for (int k = 0; k < ids.length; k++) {
        // token ids are not negative; a negative one masked out would be -0.0, and summed with the
        // padding's +0.0 it becomes +0.0: IEEE arithmetic, not batching (found by this property)
        ids[k] = r.nextInt(0, 30_000);
        mask[k] = r.nextInt(4) == 0 ? 0 : 1; // masked positions inside a request too
      }
      in.add(NamedTensors.builder().put("input_ids", Tensor.of(ids, rows, seq))
          .put("attention_mask", Tensor.of(mask, rows, seq)).build());
    }
    long callsBefore = calls(paddingMeters);
    List<NamedTensors> out = concurrently(in, seed, x -> encoderPadded.predict(x).outputs());
    for (int i = 0; i < requests; i++) {
      NamedTensors expected = encoder.predict(in.get(i)).outputs();
      assertThat(out.get(i).get("hidden").shape()).isEqualTo(expected.get("hidden").shape());
      assertThat(out.get(i)).as("request %d of %d", i, requests).isEqualTo(expected);
    }
    assertThat(calls(paddingMeters) - callsBefore).as("model calls for %d requests of different lengths", requests)
        .isLessThan(requests);
  }

  /** Model calls made by the batcher so far. */
  private static long calls(SimpleMeterRegistry meters) {
    return meters.get("swell.batch.rows").summary().count();
  }

  /** Submits the requests from separate threads, in a random order, all released at once. */
  private static List<NamedTensors> concurrently(List<NamedTensors> in, long seed,
      Function<NamedTensors, NamedTensors> call) throws Exception {
    List<Integer> order = new ArrayList<>();
    for (int i = 0; i < in.size(); i++) {
      order.add(i);
    }
    Collections.shuffle(order, new Random(seed));
    CountDownLatch go = new CountDownLatch(1);
    List<Future<NamedTensors>> futures = new ArrayList<>(Collections.nCopies(in.size(), null));
    for (int i : order) {
      futures.set(i, callers.submit(() -> {
        go.await();
        return call.apply(in.get(i));
      }));
    }
    go.countDown();
    List<NamedTensors> out = new ArrayList<>();
    for (Future<NamedTensors> f : futures) {
      out.add(f.get(30, TimeUnit.SECONDS));
    }
    return out;
  }
}
