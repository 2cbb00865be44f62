package dev.swell.abtest.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.Assertions.within;

import java.util.SplittableRandom;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The tests and distributions against published and hand-computed values. */
class TestsTest {

  private static Summary.Snapshot summary(double... xs) {
    Summary s = new Summary();
    for (double x : xs) {
      s.add(x);
    }
    return s.snapshot();
  }

  @Test
  @DisplayName("normal and Student t tails match the tables")
  void tails() {
    assertThat(Tests.normalUpperTail(0)).isCloseTo(0.5, within(1e-15));
    assertThat(Tests.normalUpperTail(1.959963984540054)).isCloseTo(0.025, within(1e-12));
    assertThat(Tests.normalUpperTail(-1)).isCloseTo(0.8413447460685429, within(1e-12));
    assertThat(Tests.normalUpperTail(5)).isCloseTo(2.866515718791939e-7, within(1e-15));
    // t tables: t(0.975; 10) = 2.228, t(0.975; 20) = 2.086, t(0.95; 5) = 2.015, t(0.995; 3) = 5.841
    assertThat(Tests.studentTUpperTail(2.228, 10)).isCloseTo(0.025, within(1e-4));
    assertThat(Tests.studentTUpperTail(2.086, 20)).isCloseTo(0.025, within(1e-4));
    assertThat(Tests.studentTUpperTail(2.015, 5)).isCloseTo(0.05, within(1e-4));
    assertThat(Tests.studentTUpperTail(5.841, 3)).isCloseTo(0.005, within(1e-5));
    assertThat(Tests.studentTUpperTail(1.959963984540054, 1e7)).isCloseTo(0.025, within(1e-6));
    assertThat(Tests.studentTUpperTail(0, 7)).isCloseTo(0.5, within(1e-12));
    assertThatThrownBy(() -> Tests.studentTUpperTail(-1, 3)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("Welch's test on the textbook example: t = 2.455, 24.99 degrees of freedom, p = 0.021")
  void welchExample() {
    Summary.Snapshot a1 = summary(27.5, 21.0, 19.0, 23.6, 17.0, 17.9, 16.9, 20.1, 21.9, 22.6, 23.1, 19.6, 19.0, 21.7, 21.4);
    Summary.Snapshot a2 = summary(27.1, 22.0, 20.8, 23.4, 23.4, 23.5, 25.8, 22.0, 24.8, 20.2, 21.9, 22.1, 22.9, 20.5, 24.4);
    Tests.Result r = Tests.welch(a1, a2);
    assertThat(r.statistic()).isCloseTo(2.455356398286006, within(1e-9));
    assertThat(r.pValue()).isCloseTo(0.0213, within(5e-4));
    assertThat(r.difference()).isCloseTo(a2.mean() - a1.mean(), within(1e-12));
    assertThatThrownBy(() -> Tests.welch(summary(1), a2)).hasMessageContaining("at least 2");
  }

  @Test
  @DisplayName("two proportions: 45/100 against 60/100 gives z = 2.124, p = 0.0337")
  void twoProportions() {
    Tests.Result r = Tests.twoProportions(45, 100, 60, 100);
    assertThat(r.statistic()).isCloseTo(2.1239769762143657, within(1e-12));
    assertThat(r.pValue()).isCloseTo(0.033672068856345876, within(1e-10));
    assertThat(Tests.twoProportions(0, 10, 0, 10).pValue()).isEqualTo(1);
    assertThatThrownBy(() -> Tests.twoProportions(11, 10, 0, 10)).isInstanceOf(IllegalArgumentException.class);
  }

  @Property(tries = 100)
  void welfordMatchesTwoPasses(@ForAll @IntRange(min = 2, max = 500) int n, @ForAll long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    double[] xs = new double[n];
    Summary s = new Summary();
    double offset = r.nextDouble(-1e6, 1e6);
    for (int i = 0; i < n; i++) {
      xs[i] = offset + r.nextGaussian() * r.nextDouble(0.001, 100);
      s.add(xs[i]);
    }
    double mean = 0;
    for (double x : xs) {
      mean += x / n;
    }
    double ss = 0;
    for (double x : xs) {
      ss += (x - mean) * (x - mean);
    }
    Summary.Snapshot snap = s.snapshot();
    assertThat(snap.count()).isEqualTo(n);
    assertThat(snap.mean()).isCloseTo(mean, within(1e-9 * Math.max(1, Math.abs(mean))));
    assertThat(snap.variance()).isCloseTo(ss / (n - 1), within(1e-6 * Math.max(1, ss / (n - 1))));
  }

  @Property(tries = 30)
  void pValuesOfEqualDistributionsAreUniformish(@ForAll long seed) {
    // under the null, about 5% of tests fall below 0.05
    SplittableRandom r = new SplittableRandom(seed);
    int below = 0;
    for (int k = 0; k < 400; k++) {
      Summary a = new Summary();
      Summary b = new Summary();
      for (int i = 0; i < 30; i++) {
        a.add(r.nextGaussian());
        b.add(r.nextGaussian() * 2);
      }
      if (Tests.welch(a.snapshot(), b.snapshot()).pValue() < 0.05) {
        below++;
      }
    }
    assertThat(below).isBetween(4, 40); // 20 expected; binomial(400, 0.05) sd 4.4
  }
}
