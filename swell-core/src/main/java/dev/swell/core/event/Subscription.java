package dev.swell.core.event;

/**
 * A listener's registration; closing it removes the listener. Idempotent.
 */
@FunctionalInterface
public interface Subscription extends AutoCloseable {

  /** Removes the listener. */
  @Override
  void close();
}
