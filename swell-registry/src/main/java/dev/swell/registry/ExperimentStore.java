package dev.swell.registry;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Semaphore;
import java.util.stream.Stream;

/**
 * Where experiments on a registry's models live, so that every process serving a model sees the
 * same experiment and its changes: the definition (a JSON object written by {@code swell-abtest}),
 * its revision and its history, one document per experiment changed by compare-and-set; a folder
 * for each replica's recorded outcomes; and a lock that elects the one replica deciding at a time.
 * Every change is also an {@link RegistryEvent.Type#EXPERIMENT} event in the model's log.
 *
 * <p>Layout: {@code models/NAME/experiments/KEY/experiment.json} (revision, definition, history:
 * one atomic rename commits a change and its history entry together), {@code .../replicas/}
 * (the replicas' own files), {@code .../.lead} (the deciding lock). Keys follow the rules of model
 * names. Thread-safe; shared safely by processes.
 *
 * <pre>{@code
 * ExperimentStore store = registry.experiments();
 * ExperimentRecord r = store.create("fraud", "canary", definitionJson, "created", "10% canary");
 * store.compareAndSet("fraud", "canary", r.revision(), rampedJson, "ramp", "canary 10% -> 20%", "{}");
 * }</pre>
 */
public final class ExperimentStore {

  private static final String FILE = "experiment.json";
  /**
   * One permit per lead file in this JVM. Not a reentrant lock: a second attempt from the thread
   * that leads must fail without opening the file, because closing any channel of a file releases
   * every POSIX lock the process holds on it.
   */
  private static final ConcurrentHashMap<Path, Semaphore> LEADS = new ConcurrentHashMap<>();

  private final Path models;
  private final Clock clock;
  private final String actor;
  private final Map<Path, Cached> cache = new ConcurrentHashMap<>();

  ExperimentStore(Path models, Clock clock, String actor) {
    this.models = models;
    this.clock = clock;
    this.actor = actor;
  }

  /**
   * Returns the keys of a model's experiments.
   *
   * @param model the model
   * @return the keys, sorted
   */
  public List<String> keys(String model) {
    Path dir = models.resolve(Names.model(model)).resolve("experiments");
    if (!Files.isDirectory(dir)) {
      return List.of();
    }
    try (Stream<Path> s = Files.list(dir)) {
      return s.filter(p -> Files.isRegularFile(p.resolve(FILE)))
          .map(p -> p.getFileName().toString()).sorted().toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list " + dir, e);
    }
  }

  /**
   * Reads an experiment. Cheap when it has not changed: the parsed document is kept while the
   * file's identity, size and time stay the same.
   *
   * @param model the model
   * @param key the experiment's key
   * @return the experiment, or empty if there is none
   * @throws UncheckedIOException if the file cannot be read or is damaged
   */
  public Optional<ExperimentRecord> get(String model, String key) {
    Path file = dir(model, key).resolve(FILE);
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      List<Object> stamp = Arrays.asList(attrs.fileKey(), attrs.lastModifiedTime(), attrs.size());
      Cached c = cache.get(file);
      if (c != null && attrs.fileKey() != null && c.stamp().equals(stamp)) {
        return Optional.of(c.record());
      }
      ExperimentRecord r = RegistryJson.experiment(Files.readAllBytes(file), model, key);
      cache.put(file, new Cached(stamp, r));
      return Optional.of(r);
    } catch (NoSuchFileException e) {
      return Optional.empty();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read experiment '" + key + "' of model '" + model
          + "' (" + file + "): " + e.getMessage(), e);
    }
  }

  /**
   * Creates an experiment at revision 1.
   *
   * @param model the model
   * @param key the experiment's key
   * @param definition a JSON object
   * @param kind the change's kind, usually {@code created}
   * @param summary one line for people
   * @return the stored experiment
   * @throws RegistryConflictException if the experiment exists already
   * @throws IllegalArgumentException if the definition is not a JSON object
   */
  public ExperimentRecord create(String model, String key, String definition, String kind,
      String summary) {
    return write(model, key, 0, definition, kind, summary, "{}")
        .orElseThrow(() -> new RegistryConflictException("experiment '" + key + "' exists already", model, null));
  }

  /**
   * Replaces an experiment's definition if it is still at {@code expectedRevision}, adding a
   * change to its history and an event to the model's log.
   *
   * @param model the model
   * @param key the experiment's key
   * @param expectedRevision the revision read before the change
   * @param definition the new definition, a JSON object
   * @param kind the change's kind, such as {@code ramp} or {@code rollback}
   * @param summary one line for people, with the figures of a decision
   * @param figures the figures as a JSON object
   * @return the stored experiment, or empty if another change came first (read it again)
   * @throws RegistryConflictException if the experiment does not exist
   * @throws IllegalArgumentException if the definition or figures are not JSON objects
   */
  public Optional<ExperimentRecord> compareAndSet(String model, String key, long expectedRevision,
      String definition, String kind, String summary, String figures) {
    if (expectedRevision < 1) {
      throw new IllegalArgumentException("expectedRevision must be at least 1, was " + expectedRevision);
    }
    return write(model, key, expectedRevision, definition, kind, summary, figures);
  }

  private Optional<ExperimentRecord> write(String model, String key, long expected, String definition,
      String kind, String summary, String figures) {
    JsonNode def = RegistryJson.object(definition, "definition");
    RegistryJson.object(figures, "figures");
    Path modelDir = models.resolve(Names.model(model));
    Path dir = dir(model, key);
    try {
      Files.createDirectories(dir);
      try (ModelLock lock = ModelLock.acquire(modelDir.resolve(".lock"))) {
        Optional<ExperimentRecord> current = get(model, key);
        long revision = current.map(ExperimentRecord::revision).orElse(0L);
        if (revision != expected) {
          if (expected != 0 && current.isEmpty()) {
            throw new RegistryConflictException("experiment '" + key + "' does not exist", model, null);
          }
          return Optional.empty();
        }
        Instant now = clock.instant();
        List<ExperimentChange> history = new ArrayList<>(
            current.map(ExperimentRecord::history).orElse(List.of()));
        history.add(new ExperimentChange(revision + 1, now, actor, kind, summary, figures));
        ExperimentRecord next = new ExperimentRecord(model, key, revision + 1,
            RegistryJson.compact(def), now, history);
        FsOps.writeAtomically(dir.resolve(FILE), RegistryJson.experiment(next));
        FileModelRegistry.appendEvent(modelDir, new RegistryEvent(RegistryEvent.Type.EXPERIMENT,
            model, null, null, null, now, actor, key, "revision " + next.revision() + " " + kind + ": " + summary));
        return Optional.of(next);
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write experiment '" + key + "' of model '" + model
          + "': " + e.getMessage(), e);
    }
  }

  /**
   * Returns the folder where the replicas serving an experiment keep their own files (each its
   * recorded outcomes), creating it if needed. The deciding replica reads every file in it.
   *
   * @param model the model
   * @param key the experiment's key
   * @return the folder
   */
  public Path replicasDir(String model, String key) {
    Path d = dir(model, key).resolve("replicas");
    try {
      Files.createDirectories(d);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot create " + d, e);
    }
    return d;
  }

  /**
   * Tries to become the one replica that decides an experiment now, without waiting: an OS file
   * lock, released when the handle is closed or the process dies.
   *
   * @param model the model
   * @param key the experiment's key
   * @return the held lock, or empty if another thread or process holds it
   */
  public Optional<AutoCloseable> tryLead(String model, String key) {
    Path file = dir(model, key).resolve(".lead");
    Semaphore local = LEADS.computeIfAbsent(file.toAbsolutePath().normalize(), p -> new Semaphore(1));
    if (!local.tryAcquire()) {
      return Optional.empty();
    }
    FileChannel ch = null;
    try {
      Files.createDirectories(file.getParent());
      ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock fl = ch.tryLock();
      if (fl == null) {
        ch.close();
        local.release();
        return Optional.empty();
      }
      FileChannel channel = ch;
      return Optional.of(() -> {
        try {
          fl.release();
          channel.close();
        } finally {
          local.release();
        }
      });
    } catch (IOException | OverlappingFileLockException e) {
      try {
        if (ch != null) {
          ch.close();
        }
      } catch (IOException ignored) {
        // closing after a failed lock
      }
      local.release();
      if (e instanceof IOException io) {
        throw new UncheckedIOException("cannot lock " + file, io);
      }
      return Optional.empty();
    }
  }

  private Path dir(String model, String key) {
    return models.resolve(Names.model(model)).resolve("experiments").resolve(Names.experiment(key));
  }

  private record Cached(List<Object> stamp, ExperimentRecord record) {}
}
