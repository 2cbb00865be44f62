package dev.swell.core.event;

/**
 * Something the runtime did or noticed: a version loaded, swapped in, refused, evicted or
 * unloaded, a load that failed, input drift, a latency or error alert. Delivered to listeners
 * subscribed with {@code Swell.on(type, listener)}; immutable.
 */
public interface SwellEvent {

  /**
   * Returns the model concerned.
   *
   * @return the model's name
   */
  String model();
}
