package dev.swell.registry;

import java.io.IOException;
import java.nio.file.ClosedWatchServiceException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardWatchEventKinds;
import java.nio.file.WatchKey;
import java.nio.file.WatchService;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Consumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches a registry folder and tells a listener of every version published or deleted and every
 * alias moved or rolled back, whichever process made the change. It compares each model's state
 * (version folders and alias targets) with what it saw last. A scan runs at once when the file
 * system's {@link WatchService} reports a change in a model's folder (inotify on Linux: within
 * milliseconds), and in any case every poll interval, which bounds the delay where file-system
 * events do not arrive (network file systems): at most one interval plus the time of one scan.
 * Nothing is missed even when a writer crashed before appending to the event log. Alias moves come
 * with the actor and time from the alias history.
 *
 * <p>The first scan, at start, records the state without reporting it. Close the watcher to stop
 * its thread.
 */
public final class RegistryWatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(RegistryWatcher.class);

  private final FileModelRegistry registry;
  private final Consumer<RegistryEvent> listener;
  private final ScheduledExecutorService timer;
  private final Map<String, FileModelRegistry.ModelState> seen = new HashMap<>();

  RegistryWatcher(FileModelRegistry registry, Consumer<RegistryEvent> listener, Duration pollInterval) {
    this.registry = registry;
    this.listener = Objects.requireNonNull(listener, "listener");
    if (pollInterval.toMillis() < 10) {
      throw new IllegalArgumentException("pollInterval must be at least 10 ms, was " + pollInterval);
    }
    this.timer = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "swell-registry-watch");
      t.setDaemon(true);
      return t;
    });
    synchronized (this) {
      scan(false);
    }
    timer.scheduleWithFixedDelay(this::poll, pollInterval.toMillis(), pollInterval.toMillis(),
        TimeUnit.MILLISECONDS);
    this.watchService = startWatchService();
  }

  private final WatchService watchService;
  private final Set<Path> registered = ConcurrentHashMap.newKeySet();

  /** Starts a thread that turns file-system events into immediate scans; null if unsupported. */
  private WatchService startWatchService() {
    Path models = registry.root().resolve("models");
    try {
      WatchService ws = models.getFileSystem().newWatchService();
      registerAll(ws, models);
      Thread t = new Thread(() -> {
        try {
          while (true) {
            WatchKey key = ws.take();
            key.pollEvents();
            key.reset();
            registerAll(ws, models);
            timer.execute(this::poll);
          }
        } catch (InterruptedException | ClosedWatchServiceException e) {
          // closed
        } catch (IOException | RuntimeException e) {
          log.warn("file-system watching of {} stopped; polling goes on", models, e);
        }
      }, "swell-registry-watch-fs");
      t.setDaemon(true);
      t.start();
      return ws;
    } catch (IOException | UnsupportedOperationException e) {
      log.info("no file-system watching for {} ({}); polling only", models, e.toString());
      return null;
    }
  }

  /** Registers the models folder, each model folder and each versions folder, once each. */
  private void registerAll(WatchService ws, Path models) throws IOException {
    List<Path> dirs = new java.util.ArrayList<>();
    dirs.add(models);
    for (String m : registry.models()) {
      dirs.add(models.resolve(m));
      dirs.add(models.resolve(m).resolve("versions"));
    }
    for (Path d : dirs) {
      if (Files.isDirectory(d) && registered.add(d)) {
        d.register(ws, StandardWatchEventKinds.ENTRY_CREATE, StandardWatchEventKinds.ENTRY_DELETE,
            StandardWatchEventKinds.ENTRY_MODIFY);
      }
    }
  }

  private synchronized void poll() {
    try {
      scan(true);
    } catch (RuntimeException e) {
      log.warn("scanning registry {} failed; will retry", registry.root(), e);
    }
  }

  private void scan(boolean report) {
    for (String model : registry.models()) {
      FileModelRegistry.ModelState now = registry.state(model);
      FileModelRegistry.ModelState before = seen.put(model, now);
      if (report) {
        diff(model, before, now);
      }
    }
  }

  private void diff(String model, FileModelRegistry.ModelState before, FileModelRegistry.ModelState now) {
    var oldVersions = before == null ? java.util.Set.<SemVer>of() : before.versions();
    var oldAliases = before == null ? Map.<String, AliasBook.Entry>of() : before.aliases();
    List<SemVer> added = now.versions().stream().filter(v -> !oldVersions.contains(v))
        .sorted(SemVer.TOTAL_ORDER).toList();
    for (SemVer v : added) {
      String actor = "unknown";
      java.time.Instant at = registry.now();
      try {
        Manifest m = registry.manifest(model, v);
        actor = m.createdBy();
        at = m.createdAt();
      } catch (RuntimeException e) {
        log.debug("manifest of {} {} unreadable while watching", model, v, e);
      }
      fire(new RegistryEvent(RegistryEvent.Type.PUBLISHED, model, v, null, null, at, actor));
    }
    for (var e : now.aliases().entrySet()) {
      AliasBook.Entry old = oldAliases.get(e.getKey());
      AliasBook.Entry cur = e.getValue();
      if (old == null || old.history().size() != cur.history().size() || !old.target().equals(cur.target())) {
        AliasMove last = cur.history().isEmpty() ? null : cur.history().get(cur.history().size() - 1);
        boolean rollback = last != null && last.action().equals("rollback");
        fire(new RegistryEvent(rollback ? RegistryEvent.Type.ROLLED_BACK : RegistryEvent.Type.ALIAS_MOVED,
            model, cur.target(), e.getKey(), old == null ? null : old.target(),
            last != null ? last.at() : registry.now(), last != null ? last.actor() : "unknown"));
      }
    }
    oldVersions.stream().filter(v -> !now.versions().contains(v)).sorted(SemVer.TOTAL_ORDER)
        .forEach(v -> fire(new RegistryEvent(RegistryEvent.Type.DELETED, model, v, null, null,
            registry.now(), "unknown")));
  }

  private void fire(RegistryEvent event) {
    try {
      listener.accept(event);
    } catch (RuntimeException e) {
      log.warn("registry listener failed on {}", event, e);
    }
  }

  /** Stops watching. Idempotent. */
  @Override
  public void close() {
    timer.shutdownNow();
    if (watchService != null) {
      try {
        watchService.close();
      } catch (IOException e) {
        log.debug("closing the watch service", e);
      }
    }
  }
}
