package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.SwellException;
import dev.swell.api.Tensor;
import dev.swell.core.InputLimits;
import dev.swell.core.Swell;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.onnx.testing.OnnxModels;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * Hostile inputs to real ONNX Runtime sessions: any dtype, ranks 0 to 5, dimensions of 0, 1 and
 * up to 2^31 - 1 (with zero elements), NaN and infinities, strings up to 64 Ki characters,
 * missing, extra and mismatched inputs. Every case ends in a result or a typed exception; the JVM
 * never crashes (a crash would end this fork).
 */
class HostileInputPropertiesTest {

  private static Path dir;
  private static Swell swell;
  private static final List<Predictor> MODELS = new ArrayList<>();
  private static final AtomicLong ANSWERED = new AtomicLong();
  private static final AtomicLong REFUSED = new AtomicLong();
  private static final long[] HOSTILE_DIMS = {0, 1, 2, 3, 16, 127, 1 << 16, Integer.MAX_VALUE};

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("hostile-inputs");
    swell = Swell.builder().warmupRuns(0).inputLimits(InputLimits.DEFAULTS.withMaxRequestBytes(64L << 20)).build();
    MODELS.add(swell.load(OnnxModels.mlp(dir, 16, 32, 4, 1)));
    MODELS.add(swell.load(OnnxModels.identity(dir, DType.STRING)));
    MODELS.add(swell.load(OnnxModels.identity(dir, DType.FLOAT32)));
    MODELS.add(swell.load(OnnxModels.unshaped(dir)));
    MODELS.add(swell.load(OnnxModels.fixedShape(dir)));
    MODELS.add(swell.load(OnnxModels.twoInTwoOut(dir)));
  }

  @AfterContainer
  static void stop() {
    swell.close();
    System.out.printf("hostile inputs on real ONNX Runtime sessions: %d cases, %d answered, %d refused with a typed "
        + "exception, 0 crashes%n", ANSWERED.get() + REFUSED.get(), ANSWERED.get(), REFUSED.get());
  }

  record Case(int model, List<String> names, List<DType> dtypes, List<long[]> shapes, int values, long seed) {}

  @Provide
  Arbitrary<Case> cases() {
    Arbitrary<long[]> shape = Arbitraries.of(Arrays.stream(HOSTILE_DIMS).boxed().toList()).list().ofMaxSize(5)
        .map(l -> l.stream().mapToLong(Long::longValue).toArray())
        .map(s -> {
          long product = 1;
          for (long d : s) {
            product = Math.multiplyHigh(product, d) != 0 ? Long.MAX_VALUE : product * d;
          }
          // a tensor must hold its elements: beyond 2^20 of them, one dimension becomes 0
          if (product > (1 << 20) && s.length > 0) {
            s[0] = 0;
          }
          return s;
        });
    return net.jqwik.api.Combinators.combine(Arbitraries.integers().between(0, MODELS.size() - 1),
        Arbitraries.of("x", "y", "a", "b", "input", "").list().ofMinSize(0).ofMaxSize(3),
        Arbitraries.of(DType.values()).list().ofSize(3), shape.list().ofSize(3), Arbitraries.integers().between(0, 3),
        Arbitraries.longs()).as(Case::new);
  }

  @Property(tries = 1500)
  void hostileInputsNeverCrash(@ForAll("cases") Case c) {
    Predictor p = MODELS.get(c.model());
    SplittableRandom r = new SplittableRandom(c.seed());
    NamedTensors.Builder b = NamedTensors.builder();
    List<String> names = new ArrayList<>(c.names());
    if (names.isEmpty() || r.nextInt(3) == 0) { // often the model's own names, to get past the name check
      names = p.signature().inputs().stream().map(s -> s.name()).toList();
    }
    java.util.Set<String> used = new java.util.HashSet<>();
    for (int i = 0; i < names.size(); i++) {
      if (!used.add(names.get(i))) {
        continue;
      }
      DType dt = r.nextInt(2) == 0 && i < p.signature().inputs().size() ? p.signature().inputs().get(i).dtype()
          : c.dtypes().get(i % 3);
      long[] shape = c.shapes().get(i % 3);
      if (i < p.signature().inputs().size() && p.signature().inputs().get(i).hasShape() && r.nextInt(2) == 0) {
        // the declared shape, its dynamic dimensions hostile (0, 1, ... or huge with nothing in it)
        var spec = p.signature().inputs().get(i);
        shape = new long[spec.rank()];
        for (int d = 0; d < shape.length; d++) {
          shape[d] = spec.isDynamic(d) ? HOSTILE_DIMS[r.nextInt(5)] : spec.dim(d);
        }
      }
      Tensor t;
      try {
        t = tensor(dt, shape, c.values(), r);
      } catch (IllegalArgumentException refusedByTheApi) {
        REFUSED.incrementAndGet(); // e.g. a dtype the Java API cannot create from these values
        return;
      }
      b.put(names.get(i).isEmpty() ? "empty" : names.get(i), t);
    }
    NamedTensors in = b.build();
    try {
      Prediction out = p.predict(in);
      assertThat(out.outputs().size()).isPositive();
      ANSWERED.incrementAndGet();
    } catch (InvalidInputException | dev.swell.api.BackendException e) {
      assertThat(e.getMessage()).isNotBlank();
      REFUSED.incrementAndGet();
    } catch (SwellException e) {
      throw new AssertionError("an unexpected kind of failure for " + in + ": " + e, e);
    }
  }

  private static Tensor tensor(DType dt, long[] shape, int values, SplittableRandom r) {
    long n = 1;
    for (long d : shape) {
      n = Math.multiplyHigh(n, d) != 0 ? Long.MAX_VALUE : n * d;
    }
    // a negative dimension (or a count beyond 2^20, from the declared-shape path) gets no elements:
    // the API must refuse the shape, and the test must not fail allocating first (it did: -2)
    n = n < 0 || n > (1 << 20) ? 0 : n;
    if (dt == DType.STRING) {
      String[] s = new String[(int) n];
      for (int i = 0; i < s.length; i++) {
        s[i] = values == 3 && n <= 16 ? "x".repeat(1 << 16) : values == 2 ? "\u0000\ud800\uffff" : Integer.toString(r.nextInt());
      }
      return Tensor.of(s, shape);
    }
    if (dt == DType.FLOAT32 && values > 0) {
      float[] f = new float[(int) n];
      Arrays.fill(f, values == 1 ? Float.NaN : values == 2 ? Float.POSITIVE_INFINITY : -Float.MAX_VALUE);
      return Tensor.of(f, shape);
    }
    if (dt == DType.FLOAT64 && values > 0) {
      double[] f = new double[(int) n];
      Arrays.fill(f, values == 1 ? Double.NaN : Double.NEGATIVE_INFINITY);
      return Tensor.of(f, shape);
    }
    return RandomTensors.random(dt, r, shape);
  }
}
