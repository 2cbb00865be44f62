package dev.swell.samples.server;

import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.LongAdder;
import java.util.function.Predicate;

/**
 * Triton's statistics extension: per model and served version, cumulative counts and nanoseconds
 * of successful and failed requests and of their stages, as the server measured them. The stages:
 * {@code queue} (counted for every request, 0 ns: Swell's admission wait is inside the call),
 * {@code compute_input} (the body read into tensors), {@code compute_infer} (Swell's call, the
 * admission wait included), {@code compute_output} (the answer written); a cache hit counts in
 * {@code cache_hit} and not in the compute stages or {@code execution_count}, as in Triton.
 */
final class OipStats {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;

  /** One model version's counters. */
  static final class Counters {
    final AtomicLong lastInferenceMillis = new AtomicLong();
    final LongAdder inferences = new LongAdder();
    final LongAdder executions = new LongAdder();
    final Stage success = new Stage();
    final Stage fail = new Stage();
    final Stage queue = new Stage();
    final Stage computeInput = new Stage();
    final Stage computeInfer = new Stage();
    final Stage computeOutput = new Stage();
    final Stage cacheHit = new Stage();
    final Stage cacheMiss = new Stage();
  }

  /** A count and a sum of nanoseconds. */
  static final class Stage {
    final LongAdder count = new LongAdder();
    final LongAdder nanos = new LongAdder();

    void add(long ns) {
      count.increment();
      nanos.add(Math.max(0, ns));
    }

    ObjectNode json() {
      return F.objectNode().put("count", count.sum()).put("ns", nanos.sum());
    }
  }

  // model -> version -> counters, sorted for a stable answer
  private final Map<String, ConcurrentSkipListMap<String, Counters>> models = new ConcurrentHashMap<>();

  /** Returns the counters of a served version, created on first use. */
  Counters of(String model, String version) {
    return models.computeIfAbsent(model, m -> new ConcurrentSkipListMap<>()).computeIfAbsent(version, v -> new Counters());
  }

  /**
   * Records one successful inference.
   *
   * @param rows the batch size (the first dimension of the first input), counted in inference_count
   */
  void success(String model, String version, long rows, boolean cached, long inputNs, long inferNs, long outputNs) {
    Counters c = of(model, version);
    c.lastInferenceMillis.set(System.currentTimeMillis());
    c.inferences.add(rows);
    c.queue.add(0);
    if (cached) {
      c.cacheHit.add(inferNs);
    } else {
      c.executions.increment();
      c.computeInput.add(inputNs);
      c.computeInfer.add(inferNs);
      c.computeOutput.add(outputNs);
    }
    c.success.add(inputNs + inferNs + outputNs);
  }

  /** Records one failed request against the version that failed it (or the selector asked for). */
  void failure(String model, String version, long ns) {
    of(model, version).fail.add(ns);
  }

  /**
   * Returns {@code {"model_stats": [...]}} for the models and versions selected.
   *
   * @param model one model, or null for all
   * @param version one version, or null for all of the model's
   */
  ObjectNode json(String model, Predicate<String> version) {
    ObjectNode root = F.objectNode();
    ArrayNode stats = root.putArray("model_stats");
    new java.util.TreeMap<>(models).forEach((m, versions) -> {
      if (model != null && !model.equals(m)) {
        return;
      }
      versions.forEach((v, c) -> {
        if (!version.test(v)) {
          return;
        }
        ObjectNode s = stats.addObject();
        s.put("name", m).put("version", v).put("last_inference", c.lastInferenceMillis.get())
            .put("inference_count", c.inferences.sum()).put("execution_count", c.executions.sum());
        ObjectNode i = s.putObject("inference_stats");
        i.set("success", c.success.json());
        i.set("fail", c.fail.json());
        i.set("queue", c.queue.json());
        i.set("compute_input", c.computeInput.json());
        i.set("compute_infer", c.computeInfer.json());
        i.set("compute_output", c.computeOutput.json());
        i.set("cache_hit", c.cacheHit.json());
        i.set("cache_miss", c.cacheMiss.json());
        s.putArray("batch_stats");
      });
    });
    return root;
  }
}
