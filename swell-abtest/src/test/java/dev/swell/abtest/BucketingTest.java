package dev.swell.abtest;

import static org.assertj.core.api.Assertions.assertThat;

import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.DoubleRange;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Assignment is a pure, uniform, experiment-specific function of the unit. */
class BucketingTest {

  @Test
  @DisplayName("a fixed unit has a fixed bucket, the one an independent SHA-256 (Python's hashlib) gives")
  void fixedValues() {
    // pinned: a change of the hashing would reshuffle every running experiment, so it fails here
    assertThat(Bucketing.bucket("fraud-canary", "user-1")).isEqualTo(6978);
    assertThat(Bucketing.bucket("fraud-canary", "user-2")).isEqualTo(7518);
    assertThat(Bucketing.bucket("exp", "user-42")).isEqualTo(5408);
    assertThat(new int[] {Bucketing.bucket("a", "b"), Bucketing.bucket("a", "c"), Bucketing.bucket("ab", "")})
        .as("separator between key and unit: (a, b) is not (ab, '')").doesNotHaveDuplicates();
  }

  @Test
  @DisplayName("100,000 units spread evenly over ten deciles of buckets")
  void uniform() {
    int[] deciles = new int[10];
    for (int u = 0; u < 100_000; u++) {
      deciles[Bucketing.bucket("uniformity", "unit-" + u) / 1000]++;
    }
    for (int d : deciles) {
      assertThat(d).isBetween(9_700, 10_300); // expected 10,000, sd 95
    }
  }

  @Property(tries = 50)
  void independentAcrossExperiments(@ForAll @DoubleRange(min = 0.1, max = 0.9) double s1,
      @ForAll @DoubleRange(min = 0.1, max = 0.9) double s2, @ForAll @IntRange(min = 0, max = 1000) int salt) {
    int both = 0;
    int n = 20_000;
    for (int u = 0; u < n; u++) {
      boolean a = Bucketing.bucket("exp-a-" + salt, "u" + u) < s1 * Bucketing.BUCKETS;
      boolean b = Bucketing.bucket("exp-b-" + salt, "u" + u) < s2 * Bucketing.BUCKETS;
      if (a && b) {
        both++;
      }
    }
    double expected = s1 * s2 * n;
    assertThat((double) both).isCloseTo(expected, org.assertj.core.api.Assertions.within(6 * Math.sqrt(expected) + 5));
  }
}
