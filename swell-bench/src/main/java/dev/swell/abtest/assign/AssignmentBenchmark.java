package dev.swell.abtest.assign;

import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The routing decision of an experiment: a unit's variation from Swell's {@link Allocation}
 * (GrowthBook's hash, version 2, and a scan of the bucket pieces), beside the same result computed
 * with GrowthBook's functions as its SDKs call them (a hash, then ranges made by
 * {@code getBucketRanges} and {@code chooseVariation}). Units are user ids of 10 to 14 characters,
 * cycled through 4,096 of them. Workloads: 2 or 4 variations, as laid out or after ramps that split
 * a challenger into pieces, with or without a namespace.
 *
 * <p>Run (with allocation figures): {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@jmh
 * -DskipTests -Djmh.args="AssignmentBenchmark -prof gc"}.
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(value = 1, jvmArgsAppend = {"-Xmx512m"})
public class AssignmentBenchmark {

  /** Variations and layout. */
  @Param({"2", "4", "4-ramped", "4-namespace"})
  public String layout;

  private Allocation allocation;
  private double[][] ranges;
  private String seed;
  private final String[] units = new String[4096];
  private int next;

  /** Builds the allocation and the units. */
  @Setup
  public void setUp() {
    int variations = layout.startsWith("2") ? 2 : 4;
    seed = "checkout-redesign";
    Allocation.Namespace ns = layout.endsWith("namespace") ? new Allocation.Namespace("checkout", 0, 0.5) : null;
    allocation = Allocation.of(seed, 2, variations, 1, null, ns);
    if (layout.endsWith("ramped")) {
      allocation = allocation.ramp(3, 0.05).ramp(2, 0.4).ramp(3, 0.35); // challenger 3 owns two pieces
    }
    ranges = GrowthBook.bucketRanges(variations, 1, null);
    for (int i = 0; i < units.length; i++) {
      units[i] = "user-" + (1_000_000L + i * 7919L);
    }
  }

  /**
   * Swell's routing decision.
   *
   * @return the variation
   */
  @Benchmark
  public int swellAssign() {
    return allocation.assign(units[next++ & 4095]);
  }

  /**
   * The same with GrowthBook's functions, as an SDK calls them (for the un-ramped layouts).
   *
   * @return the variation
   */
  @Benchmark
  public int growthBookFunctions() {
    return GrowthBook.chooseVariation(GrowthBook.hash(seed, units[next++ & 4095], 2), ranges);
  }
}
