package dev.swell.core.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.Arrays;
import org.junit.jupiter.api.Test;

/** The paired comparison the timing tests judge their claims by. */
class PairedLatencyTest {

  private static long[] ms(double... values) {
    return Arrays.stream(values).mapToLong(v -> Math.round(v * 1e6)).toArray();
  }

  private static long[] filled(int n, double value) {
    double[] v = new double[n];
    Arrays.fill(v, value);
    return ms(v);
  }

  @Test
  void exceedancesAreComparedByAnExactBinomialTest() {
    long[] measured = filled(100, 50.1);
    long[] control = filled(100, 50.0);
    for (int i = 0; i < 10; i++) {
      measured[i] = 60_000_000L;
    }
    PairedLatency ten = new PairedLatency(measured, control, 55_000_000L);
    assertThat(ten.exceeded()).isEqualTo(10);
    assertThat(ten.controlExceeded()).isZero();
    assertThat(ten.excessPValue()).isCloseTo(1.0 / 1024, org.assertj.core.data.Offset.offset(1e-12));
    assertThat(ten.medianDifferenceMillis()).isCloseTo(0.1, org.assertj.core.data.Offset.offset(1e-9));
    assertThatThrownBy(() -> ten.assertKeepsBound("ten late", 0.5)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("significantly more often");
    control[50] = 60_000_000L; // 10 against 1: P(X >= 10 | 11, 1/2) = 12/2048
    PairedLatency shared = new PairedLatency(measured, control, 55_000_000L);
    assertThat(shared.excessPValue()).isCloseTo(12.0 / 2048, org.assertj.core.data.Offset.offset(1e-12));
    shared.assertKeepsBound("late with the control", 0.5);
  }

  @Test
  void aSlowerTypicalCallFailsWhateverTheTail() {
    PairedLatency slower = new PairedLatency(filled(100, 51.0), filled(100, 50.0), 55_000_000L);
    assertThat(slower.excessPValue()).isEqualTo(1);
    assertThatThrownBy(() -> slower.assertKeepsBound("slower", 0.5)).isInstanceOf(AssertionError.class)
        .hasMessageContaining("median ms over the control");
  }

  @Test
  void samplesMustPair() {
    assertThatThrownBy(() -> new PairedLatency(new long[2], new long[3], 1)).isInstanceOf(IllegalArgumentException.class);
  }
}
