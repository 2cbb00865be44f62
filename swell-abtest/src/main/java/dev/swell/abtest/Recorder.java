package dev.swell.abtest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.abtest.stats.LatencyHistogram;
import dev.swell.abtest.stats.Summary;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.channels.FileChannel;
import java.time.Instant;
import java.util.Collection;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.LongAdder;

/**
 * What this replica recorded per variant (requests, errors, cache hits, latency of model calls,
 * outcome metrics, shadow copies), kept in memory, saved whole and atomically to its own file in
 * the experiment's replicas folder, and read back after a restart. Thread-safe.
 */
final class Recorder {

  /** One variant's live counts. */
  static final class Arm {
    final LongAdder requests = new LongAdder();
    final LongAdder errors = new LongAdder();
    final LongAdder cached = new LongAdder();
    final LongAdder dropped = new LongAdder();
    final LongAdder identical = new LongAdder();
    final Summary latency = new Summary();
    final LatencyHistogram histogram = new LatencyHistogram();
    final Map<String, Summary> metrics = new ConcurrentHashMap<>();

    void success(long nanos, boolean fromCache) {
      requests.increment();
      if (fromCache) {
        cached.increment();
      } else {
        double micros = nanos / 1000.0;
        latency.add(micros);
        histogram.add(micros);
      }
    }

    void failure() {
      requests.increment();
      errors.increment();
    }

    void metric(String name, double value) {
      metrics.computeIfAbsent(name, n -> new Summary()).add(value);
    }

    VariantTotals totals() {
      Map<String, Summary.Snapshot> m = new TreeMap<>();
      metrics.forEach((k, v) -> m.put(k, v.snapshot()));
      long req = requests.sum();
      long err = errors.sum();
      return new VariantTotals(Math.max(req, err), err, cached.sum(), latency.snapshot(), histogram.counts(), m,
          dropped.sum(), identical.sum());
    }

    void restore(VariantTotals t) {
      requests.add(t.requests());
      errors.add(t.errors());
      cached.add(t.cached());
      dropped.add(t.shadowDropped());
      identical.add(t.shadowIdentical());
      latency.merge(t.latencyMicros());
      histogram.merge(t.latencyHistogram());
      t.metrics().forEach((k, v) -> metrics.computeIfAbsent(k, n -> new Summary()).merge(v));
    }
  }

  private final Map<String, Arm> arms = new LinkedHashMap<>();

  Recorder(Collection<String> variants) {
    for (String v : variants) {
      arms.put(v, new Arm());
    }
  }

  Arm arm(String variant) {
    return arms.get(variant);
  }

  Map<String, VariantTotals> totals() {
    Map<String, VariantTotals> out = new LinkedHashMap<>();
    arms.forEach((k, v) -> out.put(k, v.totals()));
    return out;
  }

  // ------------------------------------------------------------------ the replica's file

  static String json(String experiment, String replica, long revision, Instant savedAt, Map<String, VariantTotals> totals) {
    ObjectNode o = DefinitionCodec.JSON.createObjectNode();
    o.put("format", 1);
    o.put("experiment", experiment);
    o.put("replica", replica);
    o.put("revision", revision);
    o.put("savedAt", savedAt.toString());
    ObjectNode vs = o.putObject("variants");
    totals.forEach((name, t) -> {
      ObjectNode v = vs.putObject(name);
      v.put("requests", t.requests()).put("errors", t.errors()).put("cached", t.cached())
          .put("shadowDropped", t.shadowDropped()).put("shadowIdentical", t.shadowIdentical());
      snapshot(v.putObject("latencyMicros"), t.latencyMicros());
      ObjectNode h = v.putObject("latencyHistogram");
      t.latencyHistogram().forEach((b, c) -> h.put(Integer.toString(b), c));
      ObjectNode m = v.putObject("metrics");
      t.metrics().forEach((k, s) -> snapshot(m.putObject(k), s));
    });
    try {
      return DefinitionCodec.JSON.writerWithDefaultPrettyPrinter().writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void snapshot(ObjectNode o, Summary.Snapshot s) {
    o.put("count", s.count()).put("mean", s.mean()).put("variance", s.variance());
  }

  private static Summary.Snapshot snapshot(JsonNode o) {
    return new Summary.Snapshot(o.path("count").asLong(), o.path("mean").asDouble(), o.path("variance").asDouble());
  }

  /** A replica's saved totals, by variant. */
  static Map<String, VariantTotals> parse(String json, String experiment, Path from) {
    try {
      JsonNode o = DefinitionCodec.JSON.readTree(json);
      if (o.path("format").asInt(-1) != 1) {
        throw new IllegalArgumentException("unknown format " + o.path("format"));
      }
      if (!experiment.equals(o.path("experiment").asText())) {
        throw new IllegalArgumentException("it belongs to experiment '" + o.path("experiment").asText() + "'");
      }
      Map<String, VariantTotals> out = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : o.path("variants").properties()) {
        JsonNode v = e.getValue();
        Map<Integer, Long> hist = new TreeMap<>();
        v.path("latencyHistogram").properties().forEach(h -> hist.put(Integer.parseInt(h.getKey()), h.getValue().asLong()));
        Map<String, Summary.Snapshot> metrics = new TreeMap<>();
        v.path("metrics").properties().forEach(m -> metrics.put(m.getKey(), snapshot(m.getValue())));
        out.put(e.getKey(), new VariantTotals(v.path("requests").asLong(), v.path("errors").asLong(),
            v.path("cached").asLong(), snapshot(v.path("latencyMicros")), hist, metrics,
            v.path("shadowDropped").asLong(), v.path("shadowIdentical").asLong()));
      }
      return out;
    } catch (IOException | RuntimeException e) {
      throw new IllegalArgumentException("the replica state " + from + " is damaged: " + e.getMessage(), e);
    }
  }

  /** Writes a file whole: temp file, fsync, atomic rename, fsync of the folder. */
  static void writeAtomically(Path target, String text) {
    Path tmp = target.resolveSibling("." + target.getFileName() + "." + ProcessHandle.current().pid() + ".tmp");
    try {
      try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.TRUNCATE_EXISTING,
          StandardOpenOption.WRITE)) {
        ch.write(java.nio.ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8)));
        ch.force(true);
      }
      try {
        Files.move(tmp, target, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        throw new IOException("cannot rename atomically into " + target.getParent(), e);
      }
      try (FileChannel dir = FileChannel.open(target.getParent(), StandardOpenOption.READ)) {
        dir.force(true);
      } catch (IOException ignored) {
        // folders cannot be opened on some platforms (Windows)
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write " + target, e);
    }
  }
}
