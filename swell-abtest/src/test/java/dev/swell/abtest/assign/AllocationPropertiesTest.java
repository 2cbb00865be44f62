package dev.swell.abtest.assign;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.core.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.constraints.AlphaChars;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.constraints.StringLength;
import org.junit.jupiter.api.Test;

/** Assignment invariants: deterministic, sticky across processes, uniform, monotone under ramps, GrowthBook's at start. */
class AllocationPropertiesTest {

  private static final int SAMPLE = 20_000;

  @Property(tries = 200)
  void sameAsGrowthBookUntilRamped(@ForAll @AlphaChars @StringLength(min = 1, max = 20) String key,
      @ForAll @IntRange(min = 2, max = 6) int variations, @ForAll("coverage") double coverage,
      @ForAll @IntRange(min = 1, max = 2) int hashVersion, @ForAll long unitSeed) {
    Allocation a = Allocation.of(key, hashVersion, variations, coverage, null, null);
    double[][] ranges = GrowthBook.bucketRanges(variations, coverage, null);
    SplittableRandom r = new SplittableRandom(unitSeed);
    for (int i = 0; i < 500; i++) {
      String unit = "u" + r.nextLong();
      assertThat(a.assign(unit)).isEqualTo(GrowthBook.chooseVariation(GrowthBook.hash(key, unit, hashVersion), ranges));
    }
    assertThat(a.growthBookRanges()).isPresent();
  }

  @Provide
  Arbitrary<Double> coverage() {
    return Arbitraries.of(1.0, 0.5, 0.25, 0.9, 0.01);
  }

  /** Uniform within 1% (relative) of each variant's expected count over 100,000 units per variant. */
  @Property(tries = 12, seed = "20261201")
  void uniformOverAHundredThousandUnitsPerVariant(@ForAll @AlphaChars @StringLength(min = 3, max = 12) String key,
      @ForAll @IntRange(min = 2, max = 5) int variations) {
    Allocation a = Allocation.of(key, 2, variations, 1, null, null);
    int units = 100_000 * variations;
    long[] counts = new long[variations];
    for (int i = 0; i < units; i++) {
      counts[a.assign("user-" + i)]++;
    }
    for (int v = 0; v < variations; v++) {
      assertThat(Math.abs(counts[v] - 100_000.0) / 100_000.0).as("variant %d of %d: %d units", v, variations, counts[v])
          .isLessThan(0.01);
    }
  }

  /** A ramp sequence: (variant, new share) steps that stay within what the control has. */
  record Ramp(int variant, double fraction) {}

  @Provide
  Arbitrary<List<Ramp>> ramps() {
    return Combinators.combine(Arbitraries.integers().between(1, 4), Arbitraries.doubles().between(0, 1))
        .as(Ramp::new).list().ofMinSize(1).ofMaxSize(25);
  }

  @Property(tries = 150)
  void rampsOnlyMoveUnitsBetweenTheControlAndTheRampedVariant(@ForAll @IntRange(min = 2, max = 5) int variations,
      @ForAll("ramps") List<Ramp> steps, @ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] w = new double[variations];
    double sum = 0;
    for (int i = 0; i < variations; i++) {
      w[i] = 0.2 + r.nextDouble();
      sum += w[i];
    }
    for (int i = 0; i < variations; i++) {
      w[i] /= sum;
    }
    Allocation a = Allocation.of("exp-" + seed, 2, variations, 1, w, null);
    String[] units = new String[SAMPLE];
    int[] before = new int[SAMPLE];
    for (int i = 0; i < SAMPLE; i++) {
      units[i] = "unit-" + r.nextLong();
      before[i] = a.assign(units[i]);
    }
    for (Ramp step : steps) {
      int v = 1 + (step.variant() - 1) % (variations - 1);
      double target = step.fraction() * (a.share(v) + a.share(0)); // within what the control can give
      double[] sharesBefore = new double[variations];
      for (int i = 0; i < variations; i++) {
        sharesBefore[i] = a.share(i);
      }
      Allocation next = a.ramp(v, target);
      assertThat(next.share(v)).as("ramped share").isCloseTo(target, org.assertj.core.data.Offset.offset(1e-9));
      for (int i = 1; i < variations; i++) {
        if (i != v) {
          assertThat(next.share(i)).as("untouched variant %d", i).isEqualTo(sharesBefore[i]);
        }
      }
      boolean up = target > sharesBefore[v];
      for (int i = 0; i < SAMPLE; i++) {
        int now = next.assign(units[i]);
        if (now != before[i]) {
          assertThat(up ? before[i] == 0 && now == v : before[i] == v && now == 0)
              .as("unit %s moved %d -> %d when variant %d went %s", units[i], before[i], now, v, up ? "up" : "down")
              .isTrue();
        }
        before[i] = now;
      }
      a = next;
    }
  }

  @Test
  void aCanaryRampKeepsOneRangeThatGrowthBookCanTake() {
    Allocation a = Allocation.of("canary", 2, 2, 1, new double[] {0.95, 0.05}, null);
    Allocation b = a.ramp(1, 0.2).ramp(1, 0.5).ramp(1, 0.1);
    double[][] ranges = b.growthBookRanges().orElseThrow();
    assertThat(ranges[1][1] - ranges[1][0]).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-12));
    for (int i = 0; i < 5000; i++) {
      String u = "u" + i;
      assertThat(b.assign(u)).isEqualTo(GrowthBook.chooseVariation(GrowthBook.hash("canary", u, 2), ranges));
    }
    assertThatThrownBy(() -> a.ramp(0, 0.5)).hasMessageContaining("not a challenger");
    assertThatThrownBy(() -> Allocation.of("x", 2, 3, 1, new double[] {0.9, 0.05, 0.05}, null).ramp(1, 0.99))
        .hasMessageContaining("has only");
  }

  @Test
  void theSameUnitGetsTheSameVariantInAnotherProcess(@org.junit.jupiter.api.io.TempDir Path dir) throws Exception {
    String here = digest(Allocation.of("sticky", 2, 3, 0.8, new double[] {0.5, 0.3, 0.2}, new Allocation.Namespace("ns", 0, 0.9)));
    ChildJvm.Running child = ChildJvm.builder(DigestWorker.class).start(dir.resolve("child.txt"));
    assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).isTrue();
    assertThat(child.lines()).contains(here);
    assertThat(Files.exists(dir.resolve("child.txt"))).isTrue();
  }

  static String digest(Allocation a) throws Exception {
    MessageDigest sha = MessageDigest.getInstance("SHA-256");
    for (int i = 0; i < 50_000; i++) {
      sha.update((byte) a.assign("user-" + i));
    }
    return HexFormat.of().formatHex(sha.digest());
  }

  /** Prints the digest of 50,000 assignments, for the cross-process check. */
  public static final class DigestWorker {
    private DigestWorker() {}

    /**
     * Runs.
     *
     * @param args unused
     * @throws Exception on failure
     */
    public static void main(String[] args) throws Exception {
      System.out.println(digest(Allocation.of("sticky", 2, 3, 0.8, new double[] {0.5, 0.3, 0.2},
          new Allocation.Namespace("ns", 0, 0.9))));
    }
  }

  @Test
  void assignmentAllocatesNothing() {
    Allocation a = Allocation.of("alloc", 2, 3, 1, null, new Allocation.Namespace("ns", 0, 1)).ramp(2, 0.4);
    String[] units = new String[1000];
    for (int i = 0; i < units.length; i++) {
      units[i] = "user-" + i;
    }
    com.sun.management.ThreadMXBean mx = (com.sun.management.ThreadMXBean) java.lang.management.ManagementFactory.getThreadMXBean();
    long t = Thread.currentThread().getId();
    int sink = 0;
    for (int warm = 0; warm < 200; warm++) {
      for (String u : units) {
        sink += a.assign(u);
      }
    }
    long before = mx.getThreadAllocatedBytes(t);
    for (int round = 0; round < 100; round++) {
      for (String u : units) {
        sink += a.assign(u);
      }
    }
    long allocated = mx.getThreadAllocatedBytes(t) - before;
    assertThat(allocated).as("bytes allocated by 100,000 assignments (sink %d)", sink).isLessThan(1024);
    List<Integer> unused = new ArrayList<>();
    assertThat(unused).isEmpty();
  }
}
