package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.testkit.ReferenceBackendProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AlertsTest {

  @TempDir Path dir;

  @Test
  @DisplayName("p99 latency over the threshold fires once; back under it after the window, it recovers")
  void latencyAlertWithFakeClock() {
    AtomicLong clock = new AtomicLong(1_000_000_000L);
    List<AlertEvent> events = new CopyOnWriteArrayList<>();
    AlertPolicy policy = AlertPolicy.p99Above(Duration.ofMillis(10)).withWindow(Duration.ofSeconds(10), 50, Duration.ofSeconds(1));
    AlertMonitor m = new AlertMonitor("fraud", policy, clock::get, List.of(events::add));
    for (int i = 0; i < 200; i++) { // 2 ms calls
      long start = clock.get();
      clock.addAndGet(2_000_000);
      m.record(start, false);
    }
    m.evaluate();
    assertThat(events).isEmpty();
    for (int i = 0; i < 10; i++) { // 5% of calls at 40 ms: p99 is 40 ms
      long start = clock.get();
      clock.addAndGet(40_000_000);
      m.record(start, false);
    }
    m.evaluate();
    m.evaluate(); // no second event while still firing
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(AlertEvent.Kind.LATENCY_P99);
      assertThat(e.firing()).isTrue();
      assertThat(e.value()).isEqualTo(40_000_000.0);
      assertThat(e.threshold()).isEqualTo(10_000_000.0);
    });
    clock.addAndGet(TimeUnit.SECONDS.toNanos(11)); // the slow calls leave the window
    for (int i = 0; i < 100; i++) {
      long start = clock.get();
      clock.addAndGet(1_000_000);
      m.record(start, false);
    }
    m.evaluate();
    assertThat(events).hasSize(2);
    assertThat(events.get(1).firing()).isFalse();
  }

  @Test
  @DisplayName("an error rate over the threshold fires; too few samples decide nothing")
  void errorRateAlert() {
    AtomicLong clock = new AtomicLong();
    List<AlertEvent> events = new CopyOnWriteArrayList<>();
    AlertMonitor m = new AlertMonitor("fraud", AlertPolicy.errorRateAbove(0.05)
        .withWindow(Duration.ofSeconds(10), 100, Duration.ofSeconds(1)), clock::get, List.of(events::add));
    for (int i = 0; i < 50; i++) {
      m.record(clock.getAndAdd(1000), true);
    }
    m.evaluate();
    assertThat(events).as("50 samples < 100").isEmpty();
    for (int i = 0; i < 50; i++) {
      m.record(clock.getAndAdd(1000), false);
    }
    m.evaluate();
    assertThat(events).singleElement().satisfies(e -> {
      assertThat(e.kind()).isEqualTo(AlertEvent.Kind.ERROR_RATE);
      assertThat(e.value()).isEqualTo(0.5);
      assertThat(e.samples()).isEqualTo(100);
    });
  }

  @Test
  @DisplayName("a runtime with an alert policy times real calls and tells its listeners; invalid inputs are not errors")
  void endToEnd() throws Exception {
    Path file = ReferenceBackendProvider.write(dir.resolve("fraud.ref"),
        "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "1");
    List<AlertEvent> events = new CopyOnWriteArrayList<>();
    AlertPolicy policy = AlertPolicy.p99Above(Duration.ofNanos(1)).withErrorRateAbove(0.5)
        .withWindow(Duration.ofSeconds(30), 20, Duration.ofMillis(20));
    try (Swell swell = Swell.builder().alertPolicy(policy).build(); Predictor p = swell.load(file)) {
      swell.onAlert(events::add);
      for (int i = 0; i < 50; i++) {
        p.predict("x", Tensor.of(new float[4], 1, 4));
        assertThatThrownBy(() -> p.predict("x", Tensor.of(new float[3], 1, 3))); // the caller's fault
      }
      await().atMost(Duration.ofSeconds(5)).until(() -> !events.isEmpty());
    }
    assertThat(events).extracting(AlertEvent::kind).containsExactly(AlertEvent.Kind.LATENCY_P99);
    assertThat(events.get(0).model()).isEqualTo("fraud");
    assertThat(events.get(0).samples()).isEqualTo(50);
  }

  @Test
  void policyValidation() {
    assertThatThrownBy(() -> AlertPolicy.errorRateAbove(1.5)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("errorRateThreshold");
    assertThatThrownBy(() -> AlertPolicy.p99Above(Duration.ZERO)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("p99Threshold");
  }
}
