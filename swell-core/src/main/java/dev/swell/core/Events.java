package dev.swell.core;

import dev.swell.core.event.Subscription;
import dev.swell.core.event.SwellEvent;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The runtime's event listeners: delivered on the thread that made the event (a loader, the timer,
 * a request that reloaded an evicted version), in subscription order; a listener that throws is
 * logged and skipped.
 */
final class Events {

  private static final Logger log = LoggerFactory.getLogger(Events.class);

  private record Listener(Class<? extends SwellEvent> type, Consumer<SwellEvent> consumer) {}

  private final List<Listener> listeners = new CopyOnWriteArrayList<>();

  <E extends SwellEvent> Subscription subscribe(Class<E> type, Consumer<? super E> consumer) {
    Objects.requireNonNull(type, "type");
    Objects.requireNonNull(consumer, "listener");
    Listener l = new Listener(type, e -> consumer.accept(type.cast(e)));
    listeners.add(l);
    return () -> listeners.remove(l);
  }

  void publish(SwellEvent event) {
    for (Listener l : listeners) {
      if (l.type().isInstance(event)) {
        try {
          l.consumer().accept(event);
        } catch (RuntimeException e) {
          log.warn("a listener of {} failed on {}", l.type().getSimpleName(), event, e);
        }
      }
    }
  }

  boolean isEmpty() {
    return listeners.isEmpty();
  }
}
