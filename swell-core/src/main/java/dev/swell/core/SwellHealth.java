package dev.swell.core;

import java.time.Instant;
import java.util.List;

/**
 * What a Swell runtime reports about itself: whether it works at all (live), whether every
 * predictor it handed out has a loaded, warmed version to serve (ready), and each model's status.
 * A version unloaded by a residency limit still counts as ready: its next call loads it again.
 *
 * @param live whether the runtime is open and working
 * @param ready whether every open predictor has a version serving
 * @param models one status per open predictor
 */
public record SwellHealth(boolean live, boolean ready, List<ModelStatus> models) {

  /**
   * Copies the list.
   *
   * @param live live
   * @param ready ready
   * @param models statuses
   */
  public SwellHealth {
    models = List.copyOf(models);
  }

  /**
   * The status of one predictor's model.
   *
   * @param model the model
   * @param selector what it was asked for: a version, an alias, {@code file} for a model file
   * @param version the version serving
   * @param device where it runs, such as {@code cpu}
   * @param loadedAt when the serving version was loaded
   * @param loadTime how long loading and warming it up took
   * @param swaps how many times a new version was swapped in
   * @param lastError the last failure to load or swap in a version, or null; the version shown
   *     still serves
   * @param resident whether the version is loaded now; false once the runtime unloaded it (a
   *     residency limit, or {@link Swell#unload}), until its next call loads it again
   * @param wanted the version the selector names when it is not the one serving (it failed to
   *     resolve, load, warm up, or is not compatible: {@code lastError} says why), else null
   * @param footprintBytes the serving version's native memory as measured at load, -1 if unknown
   */
  public record ModelStatus(String model, String selector, String version, String device,
      Instant loadedAt, java.time.Duration loadTime, long swaps, String lastError, boolean resident,
      String wanted, long footprintBytes) {

    /**
     * Returns whether the last attempt to move to a new version succeeded (or none failed).
     *
     * @return whether there is no error to report
     */
    public boolean healthy() {
      return lastError == null && wanted == null;
    }
  }
}
