package dev.swell.registry;

import java.time.Instant;
import java.util.List;
import java.util.Objects;

/**
 * An experiment as the registry stores it: its definition (a JSON object the registry keeps
 * whole, written by {@code swell-abtest}), the revision that a compare-and-set names, and every
 * change since it was created.
 *
 * @param model the model the experiment runs on
 * @param key the experiment's key
 * @param revision 1 when created, one more with every change
 * @param definition the definition, a JSON object as text
 * @param updatedAt when the last change was made
 * @param history every change, oldest first (the first creates it)
 */
public record ExperimentRecord(String model, String key, long revision, String definition,
    Instant updatedAt, List<ExperimentChange> history) {

  /**
   * Validates and copies the history.
   *
   * @param model model
   * @param key key
   * @param revision at least 1
   * @param definition not null
   * @param updatedAt not null
   * @param history not null
   */
  public ExperimentRecord {
    Objects.requireNonNull(model, "model");
    Objects.requireNonNull(key, "key");
    Objects.requireNonNull(definition, "definition");
    Objects.requireNonNull(updatedAt, "updatedAt");
    history = List.copyOf(history);
    if (revision < 1) {
      throw new IllegalArgumentException("revision must be at least 1, was " + revision);
    }
  }
}
