package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.testkit.CountingBackendProvider;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.core.testkit.ReferenceBackendProvider;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.statistics.Statistics;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * For random inputs that do not fit the two-input model's signature, the predictor throws an
 * {@link InvalidInputException} and the backend is never called; for random valid ones it answers.
 */
class InvalidInputPropertiesTest {

  private static Path dir;
  private static CountingBackendProvider counting;
  private static Swell swell;
  private static Predictor twoIo;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("swell-props");
    counting = new CountingBackendProvider(new ReferenceBackendProvider());
    swell = Swell.builder().backend(counting).discoverBackends(false).build();
    twoIo = swell.load(ReferenceBackendProvider.write(dir.resolve("two.ref"), "op", "two_io"));
  }

  @AfterContainer
  static void stop() {
    swell.close();
  }

  /** How a valid request is spoiled, or not. */
  enum Mutation { NONE, DTYPE, RANK, TRAILING_DIM, EMPTY_BATCH, MISSING, RENAMED, EXTRA, ANYTHING }

  /**
   * A valid request (inputs a and b, float32 [rows, 4]) with one random mutation applied, or a
   * request of random names, dtypes and shapes.
   */
  @Provide
  Arbitrary<NamedTensors> anyInputs() {
    return Combinators.combine(Arbitraries.of(Mutation.class), Arbitraries.longs(),
        Arbitraries.integers().between(1, 6)).as(InvalidInputPropertiesTest::make);
  }

  private static NamedTensors make(Mutation m, long seed, int rows) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor a = RandomTensors.random(DType.FLOAT32, r, rows, 4);
    Tensor b = RandomTensors.random(DType.FLOAT32, r, rows, 4);
    DType[] others = {DType.FLOAT64, DType.FLOAT16, DType.INT32, DType.INT64, DType.BOOL, DType.STRING};
    switch (m) {
      case DTYPE:
        a = RandomTensors.random(others[r.nextInt(others.length)], r, rows, 4);
        break;
      case RANK:
        a = r.nextBoolean() ? RandomTensors.random(DType.FLOAT32, r, rows * 4L)
            : RandomTensors.random(DType.FLOAT32, r, rows, 4, 1);
        break;
      case TRAILING_DIM:
        a = RandomTensors.random(DType.FLOAT32, r, rows, 5 + r.nextInt(3));
        break;
      case EMPTY_BATCH:
        a = RandomTensors.random(DType.FLOAT32, r, 0, 4);
        b = RandomTensors.random(DType.FLOAT32, r, 0, 4);
        break;
      case MISSING:
        return NamedTensors.of("a", a);
      case RENAMED:
        return NamedTensors.of("a", a, "B", b);
      case EXTRA:
        return NamedTensors.builder().put("a", a).put("b", b).put("sum", a).build();
      case ANYTHING: {
        NamedTensors.Builder any = NamedTensors.builder();
        for (String name : new String[] {"a", "b", "c"}) {
          if (r.nextBoolean()) {
            long[] shape = new long[r.nextInt(4)];
            for (int i = 0; i < shape.length; i++) {
              shape[i] = r.nextInt(6);
            }
            any.put(name, RandomTensors.random(DType.values()[r.nextInt(DType.values().length)], r, shape));
          }
        }
        return any.build();
      }
      default:
        break;
    }
    return NamedTensors.of("a", a, "b", b);
  }

  private static boolean valid(NamedTensors in) {
    if (in.size() != 2 || in.get("a") == null || in.get("b") == null) {
      return false;
    }
    for (Tensor t : in.tensors()) {
      if (t.dtype() != DType.FLOAT32 || t.rank() != 2 || t.dim(1) != 4) {
        return false;
      }
    }
    return true;
  }

  @Property(tries = 500)
  void invalidInputsAreRefusedWithoutABackendCall(@ForAll("anyInputs") NamedTensors in) {
    long before = counting.runs();
    Statistics.collect(valid(in) ? "valid" : "invalid");
    if (valid(in)) {
      assertThat(twoIo.predict(in).outputs().names()).containsExactly("sum", "product");
      assertThat(counting.runs()).isEqualTo(before + 1);
    } else {
      assertThatThrownBy(() -> twoIo.predict(in)).isInstanceOf(InvalidInputException.class);
      assertThat(counting.runs()).isEqualTo(before);
    }
  }

  @Property(tries = 200)
  void validInputsAlwaysAnswer(@ForAll("rows") int rows, @ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    Tensor a = RandomTensors.random(DType.FLOAT32, r, rows, 4);
    Tensor b = RandomTensors.random(DType.FLOAT32, r, rows, 4);
    NamedTensors out = twoIo.predict(NamedTensors.of("b", b, "a", a)).outputs();
    float[] x = a.toFloatArray();
    float[] y = b.toFloatArray();
    float[] sum = out.get("sum").toFloatArray();
    for (int i = 0; i < x.length; i++) {
      assertThat(sum[i]).isEqualTo(x[i] + y[i]);
    }
  }

  @Provide
  Arbitrary<Integer> rows() {
    return Arbitraries.integers().between(1, 16);
  }
}
