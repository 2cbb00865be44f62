package dev.swell.abtest.stats;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * Swell's tests against published figures, to 6 significant digits (relative error below 1e-6):
 * GrowthBook gbstats' own unit tests (growthbook/growthbook, packages/stats/tests/frequentist/
 * test_tests.py and tests/test_gbstats.py at commit 115869841407d770b154f6c44dfb09ffe2b79264; cases
 * G1–G14 below) and SciPy 1.17.1 ({@code scipy.stats.ttest_ind_from_stats(equal_var=False)},
 * {@code chisquare}, and the normal survival function for the z test).
 */
class StatsReferenceTest {

  /** gbstats' shared means case: A(sum 1396.87, ss 52377.9767, n 3000), B(sum 2422.7, ss 134698.29, n 3461). */
  private static final Summary.Snapshot S3000_A = Summary.Snapshot.ofSums(3000, 1396.87, 52377.9767);
  private static final Summary.Snapshot S3000_B = Summary.Snapshot.ofSums(3461, 2422.7, 134698.29);

  private static void close(double actual, double expected) {
    if (expected == 0) {
      assertThat(Math.abs(actual)).isLessThan(1e-12);
    } else {
      assertThat(Math.abs(actual - expected) / Math.abs(expected)).as("%s against %s", actual, expected)
          .isLessThan(1e-6);
    }
  }

  private static Summary.Snapshot stats(long n, double mean, double variance) {
    return new Summary.Snapshot(n, mean, variance);
  }

  @Test
  @DisplayName("G1: gbstats sequential two-sided, relative, N* = 1000")
  void g1() {
    Effect e = Sequential.twoSided(S3000_A, S3000_B, 0.05, 1000, true);
    close(e.estimate(), 0.5033610859);
    close(e.standardError(), 0.3334122146);
    close(e.lower(), -0.5584405051);
    close(e.upper(), 1.565162677);
    assertThat(e.pValue()).isEqualTo(1);
  }

  @Test
  @DisplayName("G2: gbstats sequential on proportions 1396/3000 vs 2422/3461, relative, N* = 5000")
  void g2() {
    Effect e = Sequential.twoSided(Summary.Snapshot.ofRate(1396, 3000), Summary.Snapshot.ofRate(2422, 3461),
        0.05, 5000, true);
    close(e.estimate(), 0.5038633517);
    close(e.standardError(), 0.0338602148);
    close(e.lower(), 0.4009784967);
    close(e.upper(), 0.6067482067);
    close(e.pValue(), 5.174716683e-44);
    close(Sequential.rho(0.05, 5000), 0.03984006677);
  }

  @Test
  @DisplayName("G3, G4: gbstats sequential one-sided lower bounds, relative and absolute")
  void oneSided() {
    close(Sequential.lowerBound(S3000_A, S3000_B, 0.05, 5000, true).lower(), -0.42356454602790883);
    Effect abs = Sequential.lowerBound(S3000_A, S3000_B, 0.05, 5000, false);
    close(abs.estimate(), 0.23437666666666668);
    close(abs.standardError(), 0.12983081254184736);
    close(abs.lower(), -0.12656844172804982);
  }

  @Test
  @DisplayName("G7, G8: gbstats count metric, sequential N* = 600 (p 0.892332229) and fixed (p 0.145219005)")
  void g7g8() {
    Summary.Snapshot a = Summary.Snapshot.ofSums(100, 270, 848.79);
    Summary.Snapshot b = Summary.Snapshot.ofSums(120, 300, 869);
    Effect seq = Sequential.twoSided(a, b, 0.05, 600, true);
    close(seq.estimate(), -0.07407407407);
    close(seq.pValue(), 0.8923322286);
    close(seq.lower(), -0.2333220852);
    Effect fixed = Tests.welch(a, b, 0.05, true);
    close(fixed.pValue(), 0.1452190054);
    close(fixed.lower(), -0.1739571852);
    close(fixed.upper(), 0.02580903702);
  }

  @Test
  @DisplayName("G9–G11: gbstats fixed-horizon two-sided t tests")
  void fixedHorizon() {
    Summary.Snapshot a = Summary.Snapshot.ofSums(3407, 1396.87, 52377.9767);
    Effect rel = Tests.welch(a, S3000_B, 0.05, true);
    close(rel.estimate(), 0.7073170732);
    close(rel.standardError(), 0.3787943617);
    close(rel.lower(), -0.03526008907);
    close(rel.upper(), 1.449894235);
    close(rel.pValue(), 0.06191182746);
    Effect abs = Tests.welch(a, S3000_B, 0.05, false);
    close(abs.estimate(), 0.29);
    close(abs.lower(), 0.04537789256);
    close(abs.upper(), 0.5346221074);
    close(abs.pValue(), 0.02015840264);
    Effect binom = Tests.welch(Summary.Snapshot.ofRate(14, 28), Summary.Snapshot.ofRate(16, 30), 0.05, true);
    close(binom.estimate(), 0.06666666667);
    close(binom.lower(), -0.4776740283);
    close(binom.upper(), 0.6110073616);
    close(binom.pValue(), 0.8070716832);
  }

  @Test
  @DisplayName("Welch against SciPy's ttest_ind_from_stats(equal_var=False)")
  void welchAgainstScipy() {
    // M1..M4 and raw data of section 4 of the reference script
    close(Tests.welch(stats(1000, 10, 4), stats(1000, 10.5, 4.41), 0.05, false).pValue(), 5.592706803e-08);
    close(Tests.welch(stats(2500, 3.2, 25), stats(2600, 3.5, 30.25), 0.05, false).pValue(), 0.04144101599);
    close(Tests.welch(stats(40000, 0.82, 1.9), stats(39500, 0.84, 2), 0.05, false).pValue(), 0.04349717776);
    close(Tests.welch(stats(150, 100, 400), stats(180, 95, 625), 0.05, false).pValue(), 0.04440443887);
    Summary a = new Summary();
    for (double x : new double[] {12.1, 9.8, 11.4, 10.2, 13.5, 8.9, 10.7, 11.9, 9.4, 12.6}) {
      a.add(x);
    }
    Summary b = new Summary();
    for (double x : new double[] {13.2, 12.8, 14.9, 11.1, 15.3, 12.2, 13.7, 14.4, 10.9, 16.0, 13.3, 12.5}) {
      b.add(x);
    }
    Effect e = Tests.welch(a.snapshot(), b.snapshot(), 0.05, false);
    close(e.pValue(), 0.002292200172);
    close(e.lower(), 0.9316099744);
    close(e.upper(), 3.685056692);
  }

  @Test
  @DisplayName("sequential intervals against the reference script (gbstats' formula)")
  void sequentialAgainstReference() {
    Effect m1 = Sequential.twoSided(stats(1000, 10, 4), stats(1000, 10.5, 4.41), 0.05, 5000, false);
    close(m1.lower(), 0.2135305517);
    close(m1.upper(), 0.7864694483);
    close(m1.pValue(), 2.521063708e-05);
    Effect m2 = Sequential.twoSided(stats(2500, 3.2, 25), stats(2600, 3.5, 30.25), 0.05, 1000, true);
    close(m2.lower(), -0.0577242315);
    close(m2.upper(), 0.2452242315);
    Effect m4 = Sequential.twoSided(stats(150, 100, 400), stats(180, 95, 625), 0.05, 1000, false);
    close(m4.pValue(), 0.4358497675);
    Effect p3 = Sequential.twoSided(Summary.Snapshot.ofRate(2000, 40000), Summary.Snapshot.ofRate(2150, 40200),
        0.05, 5000, false);
    close(p3.lower(), -0.001689021284);
    close(p3.pValue(), 0.968528733);
  }

  @Test
  @DisplayName("two-proportion z test against the normal survival function (SciPy)")
  void twoProportions() {
    Tests.ZTest p1 = Tests.twoProportions(100, 1000, 120, 1000);
    close(p1.z(), 1.42930085);
    close(p1.pValue(), 0.1529177819);
    Tests.ZTest p3 = Tests.twoProportions(2000, 40000, 2150, 40200);
    close(p3.z(), 2.226171053);
    close(p3.pValue(), 0.02600272607);
    Tests.ZTest p4 = Tests.twoProportions(30, 250, 22, 260);
    close(p4.z(), -1.320145607);
    close(p4.pValue(), 0.1867864082);
    assertThat(Tests.twoProportions(0, 10, 0, 10).pValue()).isEqualTo(1);
    assertThatThrownBy(() -> Tests.twoProportions(11, 10, 0, 10)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("G14 and SciPy's chisquare: sample-ratio mismatch")
  void chiSquare() {
    close(Tests.chiSquareGoodnessOfFit(new long[] {1000, 1200}, new double[] {0.5, 0.5}), 2.007865612e-05);
    // scipy.stats.chisquare([5050, 4950], [5000, 5000]).pvalue and ([9020, 470, 510], [9000, 500, 500])
    close(Tests.chiSquareGoodnessOfFit(new long[] {5050, 4950}, new double[] {0.5, 0.5}), 0.31731050786291115);
    close(Tests.chiSquareGoodnessOfFit(new long[] {9020, 470, 510}, new double[] {0.9, 0.05, 0.05}),
        0.3597945077825236);
    assertThat(Tests.chiSquareGoodnessOfFit(new long[] {0, 0}, new double[] {0.5, 0.5})).isEqualTo(1);
    assertThat(Tests.chiSquareGoodnessOfFit(new long[] {10, 1}, new double[] {1, 0})).isZero();
  }

  @Test
  @DisplayName("no variance yet: no evidence, as gbstats (estimate 0, p 1)")
  void noVariance() {
    Effect e = Sequential.twoSided(stats(10, 1, 0), stats(10, 2, 0), 0.05, 5000, false);
    assertThat(e.informative()).isFalse();
    assertThat(e.pValue()).isEqualTo(1);
    assertThat(Sequential.twoSided(stats(10, 1, 0), stats(10, 2, 1), 0.05, 5000, true).informative())
        .as("relative needs variance on both sides").isFalse();
    assertThat(Sequential.twoSided(stats(10, 1, 0), stats(10, 2, 1), 0.05, 5000, false).informative())
        .as("absolute: a control without variance is fine").isTrue();
    assertThat(Tests.welch(stats(10, 0, 1), stats(10, 2, 1), 0.05, true).informative()).as("control mean 0").isFalse();
  }
}
