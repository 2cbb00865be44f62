package dev.swell.registry;

import dev.swell.api.IntegrityException;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.api.spi.ModelRepository;
import dev.swell.registry.signing.ModelSignatureException;
import dev.swell.registry.signing.TrustPolicy;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.UUID;
import java.util.function.Consumer;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A versioned model registry in a folder, shared safely by threads and processes: semantic
 * versions, manifests with metrics, tags and lineage, SHA-256 integrity, aliases with history,
 * atomic publish, promote and rollback, an event log, watching and retention.
 *
 * <h2>Layout</h2>
 * <pre>
 * root/registry.json                          {"formatVersion": 1}
 * root/models/NAME/versions/VERSION/manifest.json
 * root/models/NAME/versions/VERSION/manifest.sha256
 * root/models/NAME/versions/VERSION/files/...  the artifact files
 * root/models/NAME/versions/VERSION/model.sig  optional signature (OpenSSF model signing)
 * root/models/NAME/aliases.json               targets, rollback stacks, history
 * root/models/NAME/events.log                 one JSON event per line, append-only
 * root/models/NAME/.lock                      the inter-process lock
 * root/models/NAME/.staging/, .trash/         private work folders
 * </pre>
 *
 * <h2>Guarantees</h2>
 * A version becomes visible by one atomic rename of a fully written, fsynced folder, so it is never
 * half-visible and never overwritten. Alias files are replaced by an atomic rename under the
 * model's inter-process lock. A process killed at any moment leaves either the old state or the
 * new one; an event-log line torn by a crash is dropped by the next writer. Opening a version
 * checks every file's size and SHA-256, and the manifest's own digest; the hashing is cached per
 * file size and modification time, and {@link #verify(String, SemVer)} re-hashes on demand.
 *
 * <p>Thread-safe; several instances (in this process or others) may share one folder.
 *
 * <pre>{@code
 * FileModelRegistry registry = FileModelRegistry.open(Path.of("/srv/models"));
 * Manifest m = registry.publish(PublishRequest.builder("fraud")
 *     .file(Path.of("fraud.onnx")).bump(PublishRequest.Bump.MINOR).metric("auc", 0.93).build());
 * registry.setAlias("fraud", m.version(), "production");
 * ModelArtifact a = registry.resolve("fraud", VersionSelector.alias("production"));
 * }</pre>
 */
public final class FileModelRegistry implements ModelRepository {

  /** The layout version this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  private static final Logger log = LoggerFactory.getLogger(FileModelRegistry.class);

  private final Path root;
  private final Path models;
  private final Clock clock;
  private final String actor;
  private final TrustPolicy trust;
  /** Versions: publish, manifests, open, verify and sign, with their caches. */
  private final VersionStore store;
  /** Aliases: targets, rollback stacks, history, cached per file. */
  private final AliasStore aliasStore;
  private final ExperimentStore experiments;

  private FileModelRegistry(Path root, Clock clock, String actor, TrustPolicy trust, long maxArtifactBytes) {
    this.root = root;
    this.trust = trust;
    this.models = root.resolve("models");
    this.clock = clock;
    this.actor = actor;
    this.experiments = new ExperimentStore(models, clock, actor);
    this.aliasStore = new AliasStore(this, clock, actor);
    this.store = new VersionStore(models, clock, actor, maxArtifactBytes);
  }

  /**
   * Returns where the experiments on this registry's models are kept (read and written by
   * {@code swell-abtest}; see {@link ExperimentStore}).
   *
   * @return the experiment store
   */
  public ExperimentStore experiments() {
    return experiments;
  }

  /**
   * Opens the registry in a folder, creating it if needed, acting as the current OS user.
   *
   * @param root the registry's folder
   * @return the registry
   * @throws UncheckedIOException if the folder cannot be created or read
   * @throws RegistryFormatException if it holds a registry of a newer layout, or a file stands where its folder should be
   */
  public static FileModelRegistry open(Path root) {
    return builder(root).build();
  }

  /**
   * Starts configuring a registry.
   *
   * @param root the registry's folder
   * @return a builder
   */
  public static Builder builder(Path root) {
    return new Builder(root);
  }

  /**
   * Returns the registry's folder.
   *
   * @return the root
   */
  public Path root() {
    return root;
  }

  // =================================================================== publish

  /**
   * Publishes a version: copies the files into a private staging folder while hashing them, writes
   * the manifest, fsyncs everything, then makes the version visible with one atomic rename under
   * the model's lock.
   *
   * @param request what to publish
   * @return the manifest of the new version
   * @throws RegistryConflictException if the version number is taken (it exists, it was deleted, or it
   *     differs from another only in case)
   * @throws ModelNotFoundException if the parent does not exist
   * @throws SourceChangedException if a file changed while it was copied (nothing is published)
   * @throws UncheckedIOException if a file cannot be read or written
   */
  public Manifest publish(PublishRequest request) {
    return store.publish(request, () -> modelDir(request.model())); // created once the request passed its checks
  }

  // =================================================================== queries

  /**
   * Lists the models.
   *
   * @return model names, sorted
   */
  public List<String> models() {
    List<String> names = new ArrayList<>();
    if (!Files.isDirectory(models)) {
      return names;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(models, Files::isDirectory)) {
      for (Path d : dirs) {
        String name = d.getFileName().toString();
        try {
          names.add(Names.model(name));
        } catch (IllegalArgumentException ignored) {
          // not a model folder
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    Collections.sort(names);
    return names;
  }

  /**
   * Lists a model's versions, newest first (by semantic-version precedence).
   *
   * @param model the model
   * @return the versions; empty if the model has none
   */
  public List<SemVer> versions(String model) {
    return versionsUnlocked(Names.model(model));
  }

  private List<SemVer> versionsUnlocked(String model) {
    return store.list(model);
  }

  /**
   * Reads a version's manifest, checking the manifest's own digest (not the artifact files).
   *
   * @param model the model
   * @param version the version
   * @return the manifest
   * @throws ModelNotFoundException if there is no such version
   * @throws IntegrityException if the manifest is damaged
   */
  public Manifest manifest(String model, SemVer version) {
    Path dir = existingVersionDir(model, version);
    return readManifest(model, version, dir, false);
  }

  private Manifest readManifest(String model, SemVer version, Path dir, boolean force) {
    return store.manifest(model, version, dir, force);
  }

  /**
   * Opens a version: reads its manifest and checks every file's size and SHA-256 against it. The
   * hashing is skipped when the files' sizes and modification times are those already verified by
   * this instance.
   *
   * @param model the model
   * @param version the version
   * @return the verified version
   * @throws ModelNotFoundException if there is no such version
   * @throws IntegrityException if a file is missing, of the wrong size or content
   */
  public ModelVersion open(String model, SemVer version) {
    return open(model, version, false);
  }

  /**
   * Verifies a version now, re-hashing every file whatever this instance verified before.
   *
   * @param model the model
   * @param version the version
   * @return the verified version
   * @throws ModelNotFoundException if there is no such version
   * @throws IntegrityException if a file is missing, of the wrong size or content
   */
  public ModelVersion verify(String model, SemVer version) {
    return open(model, version, true);
  }

  /**
   * Verifies every version of every model.
   *
   * @return one line per problem found; empty when everything is intact
   */
  public List<String> verifyAll() {
    List<String> problems = new ArrayList<>();
    for (String model : models()) {
      for (SemVer v : versions(model)) {
        try {
          verify(model, v);
        } catch (IntegrityException e) {
          problems.add(e.getMessage());
        } catch (RuntimeException e) { // one damaged version never stops the others' checks
          problems.add("model '" + model + "' " + v + ": " + e);
        }
      }
      try {
        AliasBook book = aliasStore.read(modelPath(model));
        for (Map.Entry<String, AliasBook.Entry> a : book.entries().entrySet()) {
          if (!Files.isDirectory(versionDir(model, a.getValue().target()))) {
            problems.add("model '" + model + "': alias '" + a.getKey() + "' points at missing version "
                + a.getValue().target());
          }
        }
        EventLog.Read log = readEventLog(model);
        problems.addAll(log.problems());
        Set<SemVer> published = new HashSet<>();
        for (Path intent : pendingPublishes(modelPath(model))) { // being published now, or completed by the next writer
          try {
            published.add(SemVer.parse(Files.readAllLines(intent, StandardCharsets.UTF_8).get(0)));
          } catch (IOException | RuntimeException e) {
            // gone meanwhile, or unreadable: nothing to excuse
          }
        }
        log.events().stream().filter(e -> e.type() == RegistryEvent.Type.PUBLISHED).forEach(e -> published.add(e.version()));
        for (SemVer v : versions(model)) {
          if (!published.contains(v)) {
            problems.add("model '" + model + "' " + v + ": no PUBLISHED event in events.log (a publish was "
                + "killed between making the version visible and logging it)");
          }
        }
      } catch (RuntimeException e) {
        problems.add("model '" + model + "': " + e.getMessage());
      }
    }
    return problems;
  }

  private ModelVersion open(String model, SemVer version, boolean force) {
    return open(model, version, force, trust.requiresSignature(model));
  }

  private ModelVersion open(String model, SemVer version, boolean force, boolean signed) {
    return store.open(model, version, existingVersionDir(model, version), force,
        signed ? trust.keysFor(model) : List.of());
  }

  /**
   * Signs a version in the OpenSSF model-signing format: a Sigstore bundle over its files and its
   * manifest, written as {@code model.sig} in the version's folder (replacing an earlier
   * signature). The version is verified first; the signature can be checked with
   * {@code model_signing verify key} on the version folder. Records a SIGNED event.
   *
   * @param model the model
   * @param version the version
   * @param key an EC key pair (P-256, P-384 or P-521)
   * @return the key's hint, as recorded in the bundle and the event
   * @throws ModelNotFoundException if there is no such version
   * @throws IntegrityException if the version is damaged
   */
  public String sign(String model, SemVer version, KeyPair key) {
    return store.sign(model, version, existingVersionDir(model, version), modelPath(model), key);
  }

  /**
   * Verifies a version's signature against keys given here, whatever this registry's trust policy
   * (for {@code swell-registry verify --key}). Files are re-hashed.
   *
   * @param model the model
   * @param version the version
   * @param keys the keys to trust
   * @return the verified version
   * @throws ModelSignatureException if it is unsigned, signed by another key, or over other files
   * @throws IntegrityException if its files do not match its manifest
   */
  public ModelVersion verifySignature(String model, SemVer version, List<java.security.PublicKey> keys) {
    if (keys.isEmpty()) {
      throw new IllegalArgumentException("no keys to verify the signature of model '" + model + "' " + version + " with");
    }
    return store.open(model, version, existingVersionDir(model, version), true, List.copyOf(keys));
  }

  /**
   * Lists a model's manifests that match a filter, newest first.
   *
   * @param model the model
   * @param filter which manifests to keep, such as {@code Filters.tag("team", "risk")}
   * @return the matching manifests
   */
  public List<Manifest> find(String model, Predicate<Manifest> filter) {
    List<Manifest> out = new ArrayList<>();
    for (SemVer v : versions(model)) {
      Manifest m = manifest(model, v);
      if (filter.test(m)) {
        out.add(m);
      }
    }
    return out;
  }

  /**
   * Walks a version's lineage upwards: its parent, the parent's parent, and so on.
   *
   * @param model the model
   * @param version the version
   * @return the ancestors, nearest first
   */
  public List<SemVer> ancestors(String model, SemVer version) {
    return Lineage.ancestors(manifest(model, version), v -> Files.isDirectory(versionDir(model, v)) ? manifest(model, v) : null);
  }

  /**
   * Finds every version derived, directly or not, from a version.
   *
   * @param model the model
   * @param version the version
   * @return the descendants, newest first
   */
  public List<SemVer> descendants(String model, SemVer version) {
    Map<SemVer, SemVer> parents = new LinkedHashMap<>();
    for (SemVer v : versions(model)) {
      parents.put(v, manifest(model, v).parent());
    }
    return Lineage.descendants(parents, version);
  }

  /**
   * Compares two versions: metric deltas, tag changes, added, removed and changed files.
   *
   * @param model the model
   * @param from the first version
   * @param to the second version
   * @return the differences
   */
  public VersionDiff compare(String model, SemVer from, SemVer to) {
    return Lineage.diff(model, from, to, manifest(model, from), manifest(model, to));
  }

  // =================================================================== aliases

  /**
   * Returns a model's aliases and their targets.
   *
   * @param model the model
   * @return alias to version, sorted by alias
   */
  public Map<String, SemVer> aliases(String model) {
    Map<String, SemVer> out = new TreeMap<>();
    aliasStore.read(modelPath(model)).entries().forEach((k, v) -> out.put(k, v.target()));
    return Collections.unmodifiableMap(out);
  }

  /**
   * Returns an alias's target.
   *
   * @param model the model
   * @param alias the alias
   * @return its version, or empty if the alias is not set
   */
  public Optional<SemVer> alias(String model, String alias) {
    AliasBook.Entry e = aliasStore.read(modelPath(model)).entries().get(Names.alias(alias));
    return Optional.ofNullable(e).map(AliasBook.Entry::target);
  }

  /**
   * Returns every move of an alias, oldest first.
   *
   * @param model the model
   * @param alias the alias
   * @return the history; empty if the alias was never set
   */
  public List<AliasMove> aliasHistory(String model, String alias) {
    AliasBook.Entry e = aliasStore.read(modelPath(model)).entries().get(Names.alias(alias));
    return e == null ? List.of() : e.history();
  }

  /**
   * Points an alias at a version, whatever it pointed at before.
   *
   * @param model the model
   * @param version an existing version
   * @param alias the alias, such as {@code production}
   * @return the previous target, or null if the alias was new
   * @throws ModelNotFoundException if the version does not exist
   */
  public SemVer setAlias(String model, SemVer version, String alias) {
    checkPromotable(model, version);
    return aliasStore.move(model, alias, null, false, version, "set");
  }

  /**
   * Points an alias at a version only if it still points at {@code expected}.
   *
   * @param model the model
   * @param expected the target it must have now, or null if it must not exist yet
   * @param version an existing version
   * @param alias the alias
   * @return whether the alias moved
   * @throws ModelNotFoundException if the version does not exist
   */
  public boolean compareAndSetAlias(String model, SemVer expected, SemVer version, String alias) {
    checkPromotable(model, version);
    try {
      aliasStore.move(model, alias, expected, true, version, "set");
      return true;
    } catch (AliasStore.ConcurrentAliasChange e) {
      return false;
    }
  }

  /**
   * Promotes a version: points an alias (such as {@code production}) at it, recording the move as
   * a promotion.
   *
   * @param model the model
   * @param version an existing version
   * @param alias the alias
   * @return the previous target, or null if the alias was new
   */
  public SemVer promote(String model, SemVer version, String alias) {
    checkPromotable(model, version);
    return aliasStore.move(model, alias, null, false, version, "promote");
  }

  /**
   * Points an alias at a version without verifying it first, recording why in the alias history
   * ({@code "forced: " + reason}). For emergencies: a version that does not verify is still
   * refused by every reader.
   *
   * @param model the model
   * @param version the version
   * @param alias the alias
   * @param reason why the check was skipped, recorded in the history
   * @return the previous target, or null
   */
  public SemVer promoteForced(String model, SemVer version, String alias, String reason) {
    if (reason == null || reason.isBlank()) {
      throw new IllegalArgumentException("a forced promotion needs a reason, recorded in the alias history");
    }
    return aliasStore.move(model, alias, null, false, version, "forced: " + reason);
  }

  /**
   * Returns an alias to the target it had before its last move (repeatable, up to
   * {@value AliasBook#ROLLBACK_DEPTH} moves back).
   *
   * @param model the model
   * @param alias the alias
   * @return the version the alias points at now
   * @throws RegistryConflictException if the alias has no earlier target to return to
   */
  public SemVer rollback(String model, String alias) {
    return aliasStore.rollback(model, alias);
  }

  /**
   * Deletes an alias (its history goes with it; the event log keeps the deletion). Readers
   * following it find nothing from then on.
   *
   * @param model the model
   * @param alias the alias
   * @return the version it pointed at
   * @throws ModelNotFoundException if the model has no such alias
   */
  public SemVer deleteAlias(String model, String alias) {
    return aliasStore.delete(model, alias);
  }

  /** Re-hashes a version and checks its signature under the trust policy before an alias may name it. */
  private void checkPromotable(String model, SemVer version) {
    Names.model(model);
    Names.version(version);
    if (!Files.isDirectory(versionDir(model, version))) {
      throw new ModelNotFoundException("version " + version + " does not exist; publish it first",
          model, version.toString());
    }
    try {
      verify(model, version);
    } catch (IntegrityException e) {
      throw new IntegrityException("refusing to point an alias at it: " + e.getMessage(), model, version.toString(), e);
    }
  }









  // =================================================================== events

  /**
   * Reads a model's event log, oldest first. A last line torn by a crash is skipped; so are lines
   * that do not parse or are not valid UTF-8 (with a warning naming the file and line, and a
   * problem reported by {@link #verifyAll()}) and events of types a newer Swell wrote.
   *
   * @param model the model
   * @return the events
   * @throws UncheckedIOException if the log cannot be read
   */
  public List<RegistryEvent> events(String model) {
    EventLog.Read read = readEventLog(model);
    for (String p : read.problems()) {
      log.warn("{}; skipped", p);
    }
    return read.events();
  }

  private EventLog.Read readEventLog(String model) {
    return EventLog.read(modelPath(model).resolve("events.log"));
  }

  void recoverInterruptedPublishes(Path modelDir, String model) throws IOException {
    EventLog.recoverInterruptedPublishes(modelDir, model, v -> Files.isDirectory(versionDir(model, v)), actor);
  }

  private static List<Path> pendingPublishes(Path modelDir) {
    return EventLog.pendingPublishes(modelDir);
  }

  /** Appends one event under the model's lock (see {@link EventLog#append}). */
  static void appendEvent(Path modelDir, RegistryEvent event) throws IOException {
    EventLog.append(modelDir, List.of(event));
  }

  static void appendEvents(Path modelDir, List<RegistryEvent> events) throws IOException {
    EventLog.append(modelDir, events);
  }

  // =================================================================== retention

  /**
   * Deletes versions of a model that the policy does not keep, and abandoned staging folders. A
   * version disappears by one atomic rename into a private trash folder, so readers see it whole
   * or not at all.
   *
   * @param model the model
   * @param policy what to keep
   * @return the deleted versions, newest first
   */
  public List<SemVer> gc(String model, RetentionPolicy policy) {
    List<SemVer> deleted = underLock(model, modelDir -> {
      List<SemVer> all = versionsUnlocked(model);
      List<SemVer> gone = deleteLogged(model, modelDir, all, victims(model, modelDir, all, policy));
      Retention.removeAbandonedStaging(modelDir, clock.instant(), policy.stagingMaxAge());
      return gone;
    });
    if (!deleted.isEmpty()) {
      log.info("garbage-collected {} versions of model '{}': {}", deleted.size(), model, deleted);
    }
    return deleted;
  }

  /**
   * Lists the versions {@link #gc} would delete now, deleting nothing.
   *
   * @param model the model
   * @param policy what to keep
   * @return the versions that would be deleted, newest first
   * @throws ModelNotFoundException if there is no such model
   */
  public List<SemVer> gcPlan(String model, RetentionPolicy policy) {
    Path modelDir = existingModelDir(model);
    List<SemVer> all = versionsUnlocked(model);
    Set<SemVer> doomed = victims(model, modelDir, all, policy);
    return all.stream().filter(doomed::contains).toList();
  }

  /**
   * Deletes one version that no alias names. Like {@link #gc}, it disappears by one rename and a
   * DELETED event; its number is never given to a later version.
   *
   * @param model the model
   * @param version the version
   * @throws ModelNotFoundException if there is no such version
   * @throws RegistryConflictException if an alias (or a rollback stack) names it
   */
  public void delete(String model, SemVer version) {
    existingVersionDir(model, version);
    underLock(model, modelDir -> {
      for (Map.Entry<String, AliasBook.Entry> a : aliasStore.read(modelDir).entries().entrySet()) {
        if (a.getValue().target().equals(version) || a.getValue().stack().contains(version)) {
          throw new RegistryConflictException("version " + version + " is named by alias '" + a.getKey()
              + "' (its target or rollback stack); move or delete the alias first", model, version.toString());
        }
      }
      return deleteLogged(model, modelDir, versionsUnlocked(model), Set.of(version));
    });
    log.info("deleted model '{}' {}", model, version);
  }

  /** Work on one model's files under its inter-process lock. */
  @FunctionalInterface
  interface LockedWork<T> {
    T run(Path modelDir) throws IOException;
  }

  /**
   * Runs work on an existing model under its inter-process lock, after completing publishes whose
   * publisher was killed before logging them: the prologue of every writer but publish.
   */
  <T> T underLock(String model, LockedWork<T> work) {
    Path modelDir = existingModelDir(model);
    try (ModelLock lock = ModelLock.acquire(lockFile(modelDir))) {
      recoverInterruptedPublishes(modelDir, model);
      return work.run(modelDir);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private Set<SemVer> victims(String model, Path modelDir, List<SemVer> all, RetentionPolicy policy) {
    return new HashSet<>(Retention.victims(all, aliasStore.read(modelDir).entries().values(), policy,
        v -> Files.isDirectory(versionDir(model, v)) ? ancestors(model, v) : List.of()));
  }

  /**
   * Moves versions into the trash and logs one DELETED event each, in one append: all are deleted
   * and logged, or none (they are put back when the append fails). Under the model's lock.
   */
  private List<SemVer> deleteLogged(String model, Path modelDir, List<SemVer> all, Set<SemVer> doomed)
      throws IOException {
    Path trash = modelDir.resolve(".trash");
    Map<SemVer, Path> trashed = new LinkedHashMap<>();
    List<RegistryEvent> events = new ArrayList<>();
    try {
      for (SemVer v : all) {
        if (!doomed.contains(v)) {
          continue;
        }
        Files.createDirectories(trash);
        Path gone = trash.resolve(UUID.randomUUID().toString());
        FsOps.moveAtomically(versionDir(model, v), gone);
        trashed.put(v, gone);
        events.add(new RegistryEvent(RegistryEvent.Type.DELETED, model, v, null, null, clock.instant(), actor));
      }
      if (!trashed.isEmpty()) {
        FsOps.fsyncDir(versionDir(model, all.get(0)).getParent());
        appendEvents(modelDir, events); // one write: all the deletions are logged, or none
      }
    } catch (IOException e) {
      // nothing is deleted unless it is logged: put the versions back, then fail
      for (Map.Entry<SemVer, Path> t : trashed.entrySet()) {
        FsOps.moveAtomically(t.getValue(), versionDir(model, t.getKey()));
      }
      throw e;
    }
    FsOps.deleteRecursively(trash);
    return new ArrayList<>(trashed.keySet());
  }

  // =================================================================== watching

  /**
   * Starts watching the registry: the listener hears of every version published or deleted and
   * every alias moved, by this process or another one, within about {@code pollInterval}.
   *
   * @param listener receives events on the watcher's thread; its failures are logged, never fatal
   * @param pollInterval how often to look, at least 10 ms
   * @return the watcher; close it to stop
   */
  public RegistryWatcher watch(Consumer<RegistryEvent> listener, Duration pollInterval) {
    return new RegistryWatcher(this, listener, pollInterval);
  }

  /**
   * Tells a listener the name of every model whose versions or aliases change, within a second
   * (at once where the file system reports changes), whichever process made the change.
   *
   * @param listener receives model names on the watcher's thread
   * @return the watcher; close it to stop
   */
  @Override
  public AutoCloseable watch(Consumer<String> listener) {
    return watch(event -> listener.accept(event.model()), Duration.ofSeconds(1));
  }

  /** The watchable state of one model: its versions and alias targets. */
  record ModelState(Set<SemVer> versions, Map<String, AliasBook.Entry> aliases) {}

  ModelState state(String model) {
    return new ModelState(new HashSet<>(versionsUnlocked(model)), aliasStore.read(modelPath(model)).entries());
  }

  Instant now() {
    return clock.instant();
  }

  // =================================================================== ModelRepository

  /**
   * Resolves a selector to a version and opens it (verifying its files).
   *
   * @param model the model
   * @param selector exact version, alias, latest, latest stable or range
   * @return the primary file of the selected version, with its format
   * @throws ModelNotFoundException if nothing matches
   * @throws IntegrityException if the selected version is damaged
   */
  @Override
  public ModelArtifact resolve(String model, VersionSelector selector) {
    SemVer v = resolveVersion(model, selector);
    ModelVersion mv = open(model, v);
    return new ModelArtifact(model, v.toString(), mv.manifest().format(), mv.primaryFile());
  }

  /**
   * Resolves a selector to a version without opening it.
   *
   * @param model the model
   * @param selector the selector
   * @return the version
   * @throws ModelNotFoundException if nothing matches
   */
  public SemVer resolveVersion(String model, VersionSelector selector) {
    Names.model(model);
    Optional<SemVer> found;
    switch (selector.kind()) {
      case EXACT: { // no listing: one stat
        SemVer v = SemVer.parse(selector.value());
        found = Files.isDirectory(versionDir(model, v)) ? Optional.of(v) : Optional.empty();
        break;
      }
      case ALIAS: // no listing: the alias file, parsed once and cached
        found = alias(model, selector.value()).filter(v -> Files.isDirectory(versionDir(model, v)));
        break;
      case LATEST:
        found = versionsUnlocked(model).stream().findFirst();
        break;
      case LATEST_STABLE:
        found = versionsUnlocked(model).stream().filter(v -> !v.isPreRelease()).findFirst();
        break;
      default:
        found = VersionRange.parse(selector.value()).highest(versionsUnlocked(model));
    }
    return found.orElseThrow(() -> notFound(model, selector));
  }

  private ModelNotFoundException notFound(String model, VersionSelector selector) {
    List<SemVer> versions = versionsUnlocked(model);
    if (versions.isEmpty()) {
      return new ModelNotFoundException("no versions in registry " + root + " (models: " + models() + ")",
          model, selector.toString());
    }
    Map<String, SemVer> aliases = new TreeMap<>();
    aliasStore.read(models.resolve(model)).entries().forEach((k, v) -> aliases.put(k, v.target()));
    return new ModelNotFoundException("nothing matches " + selector + "; versions: " + versions
        + ", aliases: " + aliases.keySet(), model, selector.toString());
  }

  // =================================================================== paths

  private Path modelDir(String model) {
    Path dir = models.resolve(Names.model(model));
    if (!Files.isDirectory(dir)) {
      for (String other : models()) {
        if (other.equalsIgnoreCase(model) && !other.equals(model)) {
          throw new IllegalArgumentException("model '" + model + "' differs from model '" + other
              + "' only in case; the two folders would be one on macOS and Windows");
        }
      }
    }
    try {
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw new RegistryFormatException(dir + " exists and is not a folder", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /**
   * Checks that a model exists in this registry, creating nothing.
   *
   * @param model the model
   * @throws ModelNotFoundException if it has never been published (the message lists the models)
   * @throws IllegalArgumentException if the name is not a valid model name
   */
  public void requireModel(String model) {
    existingModelDir(model);
  }

  /** The folder of a model that exists (has a folder): for commands that must not create one. */
  Path existingModelDir(String model) {
    Path dir = modelPath(model);
    if (!Files.isDirectory(dir)) {
      throw new ModelNotFoundException("no such model in registry " + root + " (models: " + models() + ")",
          model, null);
    }
    return dir;
  }

  /** The model's folder, for reading: validated, never created. */
  private Path modelPath(String model) {
    return models.resolve(Names.model(model));
  }

  static Path lockFile(Path modelDir) {
    return modelDir.resolve(".lock");
  }

  Path versionDir(String model, SemVer version) {
    return store.dir(model, version);
  }

  private Path existingVersionDir(String model, SemVer version) {
    Names.model(model);
    Path dir = versionDir(model, version);
    if (!Files.isDirectory(dir)) {
      throw new ModelNotFoundException("version " + version + " does not exist", model, version.toString());
    }
    return dir;
  }

  @Override
  public String toString() {
    return "FileModelRegistry[" + root + "]";
  }

  /**
   * Configures a {@link FileModelRegistry}. Not thread-safe.
   */
  public static final class Builder {
    private final Path root;
    private Clock clock = Clock.systemUTC();
    private String actor = System.getProperty("user.name", "unknown");
    private TrustPolicy trust = TrustPolicy.NONE;
    private long maxArtifactBytes = Long.MAX_VALUE;

    private Builder(Path root) {
      this.root = Objects.requireNonNull(root, "root");
    }

    /**
     * Sets the clock that stamps manifests and events (default: the system clock, UTC).
     *
     * @param clock the clock
     * @return this builder
     */
    public Builder clock(Clock clock) {
      this.clock = Objects.requireNonNull(clock, "clock");
      return this;
    }

    /**
     * Sets who this instance acts as in manifests and events (default: the OS user name).
     *
     * @param actor a name, not blank
     * @return this builder
     * @throws IllegalArgumentException if blank
     */
    public Builder actor(String actor) {
      if (actor == null || actor.isBlank()) {
        throw new IllegalArgumentException("actor must not be blank");
      }
      this.actor = actor;
      return this;
    }

    /**
     * Sets the largest artifact (all files of one version) a publish accepts, checked before
     * anything is copied (default: no limit).
     *
     * @param max bytes, at least 1
     * @return this builder
     */
    public Builder maxArtifactBytes(long max) {
      if (max < 1) {
        throw new IllegalArgumentException("maxArtifactBytes must be at least 1, was " + max);
      }
      this.maxArtifactBytes = max;
      return this;
    }

    /**
     * Sets which keys must have signed which models (default: {@link TrustPolicy#NONE}, no
     * signature required). A version of a protected model without a valid signature by a trusted
     * key over exactly its files is refused by {@code open}, {@code resolve}, {@code verify} and
     * {@code promote} with a {@link ModelSignatureException}.
     *
     * @param policy the trust policy
     * @return this builder
     */
    public Builder trustPolicy(TrustPolicy policy) {
      this.trust = Objects.requireNonNull(policy, "policy");
      return this;
    }

    /**
     * Opens the registry, creating its folder and marker file if needed.
     *
     * @return the registry
     * @throws UncheckedIOException if the folder cannot be created or read
     * @throws RegistryFormatException if it holds a registry of a newer layout
     */
    public FileModelRegistry build() {
      try {
        Files.createDirectories(root.resolve("models"));
        Path marker = root.resolve("registry.json");
        if (!Files.exists(marker)) {
          try {
            FsOps.writeAtomically(marker,
                ("{\"formatVersion\": " + FORMAT_VERSION + "}\n").getBytes(StandardCharsets.UTF_8));
          } catch (IOException e) {
            if (!Files.exists(marker)) {
              throw e;
            }
          }
        }
        int format = RegistryJson.MAPPER.readTree(marker.toFile()).path("formatVersion").asInt(-1);
        if (format < 1 || format > FORMAT_VERSION) {
          throw new RegistryFormatException(root + " holds a registry of layout " + format
              + "; this Swell reads layout " + FORMAT_VERSION, null);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open registry " + root + ": " + e.getMessage(), e);
      }
      return new FileModelRegistry(root.toAbsolutePath().normalize(), clock, actor, trust, maxArtifactBytes);
    }
  }
}
