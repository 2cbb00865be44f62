package dev.swell.abtest;

import dev.swell.registry.ExperimentRecord;
import dev.swell.registry.FileModelRegistry;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.stream.Stream;

/**
 * Reads experiments from a registry without serving them: for a dashboard, a command-line tool or
 * a test that wants what every replica sees. Nothing here changes the registry.
 *
 * <pre>{@code
 * ExperimentDefinition def = Experiments.definition(registry, "fraud", "canary").orElseThrow();
 * Decision now = Experiments.decide(registry, "fraud", "canary");   // what the loop would decide
 * }</pre>
 */
public final class Experiments {

  private Experiments() {}

  /**
   * Reads an experiment's stored definition.
   *
   * @param registry the registry
   * @param model the model
   * @param key the experiment's key
   * @return the definition at its latest revision, or empty if there is none
   * @throws IllegalArgumentException if the stored definition is damaged or of a newer layout
   */
  public static Optional<ExperimentDefinition> definition(FileModelRegistry registry, String model, String key) {
    Optional<ExperimentRecord> r = registry.experiments().get(model, key);
    return r.map(x -> DefinitionCodec.read(x.definition(), x.revision()));
  }

  /**
   * Adds up what every replica of an experiment last saved.
   *
   * @param registry the registry
   * @param model the model
   * @param key the experiment's key
   * @return totals by variant name
   * @throws UncheckedIOException if a replica's file cannot be read
   */
  public static Map<String, VariantTotals> totals(FileModelRegistry registry, String model, String key) {
    Path dir = registry.experiments().replicasDir(model, key);
    Map<String, VariantTotals> sum = new LinkedHashMap<>();
    try (Stream<Path> files = Files.list(dir)) {
      for (Path f : files.filter(p -> p.getFileName().toString().endsWith(".json")).sorted().toList()) {
        Recorder.parse(Files.readString(f), key, f).forEach((name, t) -> sum.merge(name, t, VariantTotals::plus));
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the replicas' states in " + dir, e);
    }
    return sum;
  }

  /**
   * Counts the units every replica exposed, each once.
   *
   * @param registry the registry
   * @param model the model
   * @param key the experiment's key
   * @return units per revision and variation
   */
  public static Exposures exposures(FileModelRegistry registry, String model, String key) {
    ExperimentDefinition def = definition(registry, model, key).orElseThrow(() -> new IllegalArgumentException(
        "model '" + model + "' has no experiment '" + key + "'"));
    return new ExposureLog.Union(registry.experiments().replicasDir(model, key), def.variations().size()).read();
  }

  /**
   * Decides on what the replicas last saved, as the decision loop would (bandit period 0).
   *
   * @param registry the registry
   * @param model the model
   * @param key the experiment's key
   * @return the decision, not applied
   */
  public static Decision decide(FileModelRegistry registry, String model, String key) {
    ExperimentDefinition def = definition(registry, model, key).orElseThrow(() -> new IllegalArgumentException(
        "model '" + model + "' has no experiment '" + key + "'"));
    return Decisions.decide(def, totals(registry, model, key), exposures(registry, model, key), 0);
  }
}
