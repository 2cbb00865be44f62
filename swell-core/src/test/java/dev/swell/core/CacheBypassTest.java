package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.RequestOptions;
import dev.swell.api.Tensor;
import dev.swell.core.cache.CachePolicy;
import dev.swell.core.testkit.ReferenceBackendProvider;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** A result cache that does not hit stops costing: bypassed, and back in use once traffic repeats. */
class CacheBypassTest {

  @TempDir Path dir;

  private final ReferenceBackendProvider backend = new ReferenceBackendProvider();

  private static NamedTensors x(float v) {
    return NamedTensors.of("x", Tensor.of(new float[] {v, 1, 2, 3}, 1, 4));
  }

  private Swell swell(SimpleMeterRegistry meters) {
    return Swell.builder().discoverBackends(false).backend(backend).warmupRuns(0).meterRegistry(meters)
        .resultCache(CachePolicy.maxBytes(1 << 20)).build();
  }

  private Path mlp() {
    return ReferenceBackendProvider.write(dir.resolve("m.ref"), "op", "mlp", "in", "4", "hidden", "8", "out", "2",
        "seed", "1");
  }

  @Test
  @DisplayName("never a hit: after 1,024 misses only 1 request in 64 is looked up; repeated traffic is cached again")
  void neverHittingCacheIsBypassedAndComesBack() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    try (Swell swell = swell(meters); Predictor p = swell.load("m", mlp())) {
      HostedVersion h = ((LocalPredictor) p).hosted();
      for (int i = 0; i < 1024; i++) {
        p.predict(x(i));
      }
      assertThat(h.cacheBypassed()).as("no hit in 1,024 lookups").isTrue();
      double misses = meters.get("swell.cache.requests").tag("result", "miss").counter().count();
      for (int i = 0; i < 6400; i++) {
        p.predict(x(10_000 + i));
      }
      double looked = meters.get("swell.cache.requests").tag("result", "miss").counter().count() - misses;
      assertThat(looked).as("lookups for 6,400 new requests while bypassed").isEqualTo(100);
      // the same request again and again: a sampled lookup keeps it, the next sampled one hits
      long runs = backend.runs();
      for (int i = 0; i < 200; i++) {
        p.predict(x(-1));
      }
      assertThat(h.cacheBypassed()).as("a hit ends the bypass").isFalse();
      long runsNow = backend.runs();
      for (int i = 0; i < 100; i++) {
        assertThat(p.predict(x(-1)).cached()).isTrue();
      }
      assertThat(backend.runs()).isEqualTo(runsNow);
      assertThat(runsNow - runs).as("model calls before the repeated request was cached").isLessThanOrEqualTo(129);
    }
  }

  @Test
  @DisplayName("a cache that hits now and then (1 request in 50) is never bypassed")
  void occasionalHitsKeepTheCache() {
    try (Swell swell = swell(new SimpleMeterRegistry()); Predictor p = swell.load("m", mlp())) {
      HostedVersion h = ((LocalPredictor) p).hosted();
      for (int i = 0; i < 5000; i++) {
        p.predict(x(i % 50 == 0 ? -1 : i));
        assertThat(h.cacheBypassed()).as("after request %d", i).isFalse();
      }
    }
  }

  @Test
  @DisplayName("a request marked noCache is neither answered from the cache nor stored in it")
  void noCacheSkipsLookupAndStore() {
    SimpleMeterRegistry meters = new SimpleMeterRegistry();
    RequestOptions skip = RequestOptions.builder().noCache().build();
    try (Swell swell = swell(meters); Predictor p = swell.load("m", mlp())) {
      long runs = backend.runs();
      for (int i = 0; i < 5; i++) {
        assertThat(p.predict(x(7), skip).cached()).isFalse();
      }
      assertThat(backend.runs() - runs).as("model calls for 5 uncached requests").isEqualTo(5);
      assertThat(meters.find("swell.cache.requests").counters()).allSatisfy(c -> assertThat(c.count()).isZero());
      assertThat(p.predict(x(7)).cached()).as("nothing was stored by the skipped requests").isFalse();
      assertThat(p.predict(x(7)).cached()).isTrue();
      assertThat(p.predict(x(7), skip).cached()).as("a stored answer is not read either").isFalse();
    }
  }
}
