package dev.swell.spark;

import java.io.Serializable;
import java.util.List;
import java.util.Map;
import org.apache.spark.util.LongAccumulator;

/**
 * Everything an executor needs to score with the versions the driver pinned: where the registry
 * is, each exact version and the digests of its files as the driver verified them, the keys that
 * must have signed them, the backend settings, how columns map to tensors and, for an experiment,
 * how rows are assigned to variants. Serialized into every task; the model bytes are not (each
 * executor reads them from the registry, once).
 */
record ScoringPlan(
    String registryRoot,
    String model,
    List<Pin> pins,
    List<String> trustedKeysPem,
    int intraOpThreads,
    int interOpThreads,
    List<String> executionProviders,
    Map<String, String> backendOptions,
    int batchSize,
    long idleReleaseMillis,
    NullRule nulls,
    List<Columns.InputBinding> inputs,
    List<Columns.OutputBinding> outputs,
    Assignment assignment,
    LongAccumulator loads,
    LongAccumulator skipped) implements Serializable {

  /**
   * One pinned version: the only one, or an experiment variant's (the control first).
   *
   * @param variant the variant's name, or null without an experiment
   * @param version the exact version
   * @param digests each file's SHA-256, by path, as the driver verified them
   */
  record Pin(String variant, String version, Map<String, String> digests) implements Serializable {}

  /** The version errors name: the only one, or the control's. */
  String version() {
    return pins.get(0).version();
  }

  /** Which executor copy serves a pin: one per registry, version, trust and backend settings. */
  String copyKey(int pin) {
    Pin p = pins.get(pin);
    return registryRoot + '\u0000' + model + '\u0000' + p.version() + '\u0000' + p.digests() + '\u0000'
        + trustedKeysPem + '\u0000' + intraOpThreads + '/' + interOpThreads + executionProviders + backendOptions;
  }
}
