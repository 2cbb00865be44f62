package dev.swell.registry;

import dev.swell.api.IntegrityException;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelArtifact;
import dev.swell.api.spi.ModelRepository;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
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
import java.util.concurrent.ConcurrentHashMap;
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
 * registry.setAlias("fraud", "production", m.version());
 * ModelArtifact a = registry.resolve("fraud", VersionSelector.alias("production"));
 * }</pre>
 */
public final class FileModelRegistry implements ModelRepository {

  /** The layout version this code writes and reads. */
  public static final int FORMAT_VERSION = 1;

  private static final Logger log = LoggerFactory.getLogger(FileModelRegistry.class);
  private static final String MANIFEST = "manifest.json";
  private static final String MANIFEST_DIGEST = "manifest.sha256";
  private static final String FILES = "files";

  private final Path root;
  private final Path models;
  private final Clock clock;
  private final String actor;
  /** Verified versions: folder to the fingerprint (sizes and times) of its files when verified. */
  private final Map<Path, List<Object>> verified = new ConcurrentHashMap<>();
  /** Parsed alias files by path, with the identity, time and size of the file parsed. */
  private final Map<Path, CachedAliases> aliasCache = new ConcurrentHashMap<>();
  /** Parsed, digest-checked manifests by version folder, with their files' identity, time and size. */
  private final Map<Path, CachedManifest> manifestCache = new ConcurrentHashMap<>();
  private final ExperimentStore experiments;

  private FileModelRegistry(Path root, Clock clock, String actor) {
    this.root = root;
    this.models = root.resolve("models");
    this.clock = clock;
    this.actor = actor;
    this.experiments = new ExperimentStore(models, clock, actor);
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
   * @throws IllegalStateException if it holds a registry of a newer layout
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
   * @throws IllegalStateException if the version exists already, or the parent does not
   * @throws UncheckedIOException if a file cannot be read or written
   */
  public Manifest publish(PublishRequest request) {
    Path modelDir = modelDir(request.model());
    Path staging = modelDir.resolve(".staging").resolve(UUID.randomUUID().toString());
    try {
      Files.createDirectories(staging.resolve(FILES));
      List<FileEntry> entries = stageFiles(request, staging.resolve(FILES));
      try (ModelLock lock = ModelLock.acquire(modelDir.resolve(".lock"))) {
        // Listing every version costs O(n): only a bump or a parent-is-latest needs it.
        List<SemVer> existing = request.version() == null || request.parentFromLatest()
            ? versionsUnlocked(request.model()) : List.of();
        SemVer latest = existing.isEmpty() ? null : existing.get(0);
        SemVer parent = request.parentFromLatest() ? latest : request.parent();
        if (parent != null && !Files.isDirectory(versionDir(request.model(), parent))) {
          throw new IllegalStateException("parent version " + parent + " of model '" + request.model()
              + "' does not exist");
        }
        SemVer version = request.version() != null ? request.version()
            : bump(parent != null ? parent : latest, request.bump(), existing);
        Path target = versionDir(request.model(), version);
        if (Files.exists(target)) {
          throw new IllegalStateException("version " + version + " of model '" + request.model()
              + "' exists already; versions are immutable, publish a new one");
        }
        Manifest manifest = new Manifest(FORMAT_VERSION, request.model(), version, request.format(),
            request.primaryFile(), entries, clock.instant(), actor, parent, request.tags(),
            request.metrics(), request.description(), request.signature());
        byte[] json = RegistryJson.manifest(manifest);
        Files.write(staging.resolve(MANIFEST), json, StandardOpenOption.CREATE_NEW);
        FsOps.fsync(staging.resolve(MANIFEST));
        Files.write(staging.resolve(MANIFEST_DIGEST),
            (FsOps.sha256(json) + "\n").getBytes(StandardCharsets.US_ASCII), StandardOpenOption.CREATE_NEW);
        FsOps.fsync(staging.resolve(MANIFEST_DIGEST));
        FsOps.fsyncDir(staging.resolve(FILES));
        FsOps.fsyncDir(staging);
        Files.createDirectories(target.getParent());
        FsOps.moveAtomically(staging, target);
        FsOps.fsyncDir(target.getParent());
        appendEvent(modelDir, new RegistryEvent(RegistryEvent.Type.PUBLISHED, request.model(), version,
            null, null, manifest.createdAt(), actor));
        log.info("published model '{}' {} ({} files, {} bytes)", request.model(), version,
            entries.size(), manifest.totalSize());
        return manifest;
      }
    } catch (IOException e) {
      throw new UncheckedIOException("publishing model '" + request.model() + "' failed: " + e.getMessage(), e);
    } finally {
      FsOps.deleteRecursively(staging); // gone already after a successful rename
    }
  }

  private static List<FileEntry> stageFiles(PublishRequest request, Path filesDir) throws IOException {
    long total = 0;
    for (Path f : request.files()) {
      total += Files.size(f);
    }
    long[] done = {0};
    long all = total;
    List<FileEntry> entries = new ArrayList<>();
    for (int i = 0; i < request.files().size(); i++) {
      String rel = request.relativePaths().get(i);
      Path to = filesDir.resolve(rel);
      Files.createDirectories(to.getParent());
      String sha = FsOps.copyHashing(request.files().get(i), to, n -> {
        done[0] += n;
        request.progress().update(done[0], all);
      });
      entries.add(new FileEntry(rel, Files.size(to), sha));
    }
    request.progress().update(all, all);
    return entries;
  }

  private static SemVer bump(SemVer from, PublishRequest.Bump bump, List<SemVer> existing) {
    SemVer base = from != null ? from : SemVer.of(0, 0, 0);
    SemVer next;
    switch (bump) {
      case MAJOR:
        next = base.bumpMajor();
        break;
      case MINOR:
        next = base.bumpMinor();
        break;
      default:
        next = base.bumpPatch();
    }
    // Bumping an old parent may land on a taken number: move on to the next free one.
    while (existing.contains(next)) {
      next = bump == PublishRequest.Bump.MAJOR ? next.bumpMajor()
          : bump == PublishRequest.Bump.MINOR ? next.bumpMinor() : next.bumpPatch();
    }
    return next;
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
    Path dir = models.resolve(model).resolve("versions");
    List<SemVer> versions = new ArrayList<>();
    if (!Files.isDirectory(dir)) {
      return versions;
    }
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(dir, Files::isDirectory)) {
      for (Path d : dirs) {
        try {
          versions.add(SemVer.parse(d.getFileName().toString()));
        } catch (IllegalArgumentException ignored) {
          // not a version folder
        }
      }
    } catch (NoSuchFileException e) {
      return versions;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    versions.sort(SemVer.TOTAL_ORDER.reversed());
    return versions;
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

  /**
   * Reads and checks a manifest, from the cache when its two files are the ones read last time
   * (same identity, time and size) unless {@code force}.
   */
  private Manifest readManifest(String model, SemVer version, Path dir, boolean force) {
    List<Object> stamp = null;
    try {
      BasicFileAttributes m = Files.readAttributes(dir.resolve(MANIFEST), BasicFileAttributes.class);
      BasicFileAttributes d = Files.readAttributes(dir.resolve(MANIFEST_DIGEST), BasicFileAttributes.class);
      if (m.fileKey() != null) {
        stamp = Arrays.asList(m.fileKey(), m.lastModifiedTime(), m.size(), d.fileKey(), d.lastModifiedTime(), d.size());
        CachedManifest cached = manifestCache.get(dir);
        if (!force && cached != null && cached.stamp().equals(stamp)) {
          return cached.manifest();
        }
      }
    } catch (IOException e) {
      throw new IntegrityException("the manifest cannot be read: " + e, model, version.toString(), e);
    }
    Manifest read = readManifestFiles(model, version, dir);
    if (stamp != null) {
      manifestCache.put(dir, new CachedManifest(stamp, read));
    }
    return read;
  }

  private record CachedManifest(List<Object> stamp, Manifest manifest) {}

  private Manifest readManifestFiles(String model, SemVer version, Path dir) {
    byte[] json;
    String digest;
    try {
      json = Files.readAllBytes(dir.resolve(MANIFEST));
      digest = new String(Files.readAllBytes(dir.resolve(MANIFEST_DIGEST)), StandardCharsets.ISO_8859_1);
    } catch (IOException e) {
      throw new IntegrityException("the manifest cannot be read: " + e, model, version.toString(), e);
    }
    if (!(FsOps.sha256(json) + "\n").equals(digest)) {
      throw new IntegrityException("manifest.json does not match its digest in manifest.sha256; "
          + "the version is damaged and will not be served", model, version.toString(), null);
    }
    Manifest m;
    try {
      m = RegistryJson.manifest(json);
    } catch (IOException e) {
      throw new IntegrityException("manifest.json is invalid: " + e.getMessage(), model, version.toString(), e);
    }
    if (!m.name().equals(model) || !m.version().equals(version)) {
      throw new IntegrityException("manifest.json names " + m.name() + " " + m.version()
          + ", not the folder it is in", model, version.toString(), null);
    }
    return m;
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
        }
      }
      try {
        AliasBook book = readAliases(modelPath(model));
        for (Map.Entry<String, AliasBook.Entry> a : book.entries().entrySet()) {
          if (!Files.isDirectory(versionDir(model, a.getValue().target()))) {
            problems.add("model '" + model + "': alias '" + a.getKey() + "' points at missing version "
                + a.getValue().target());
          }
        }
        events(model);
      } catch (RuntimeException e) {
        problems.add("model '" + model + "': " + e.getMessage());
      }
    }
    return problems;
  }

  private ModelVersion open(String model, SemVer version, boolean force) {
    Path dir = existingVersionDir(model, version);
    Manifest m = readManifest(model, version, dir, force);
    Path files = dir.resolve(FILES);
    List<Object> fingerprint = new ArrayList<>();
    try {
      fingerprint.add(Files.getLastModifiedTime(dir.resolve(MANIFEST)));
      for (FileEntry f : m.files()) {
        Path p = files.resolve(f.path()).normalize();
        if (!p.startsWith(files)) {
          throw new IntegrityException("manifest names a file outside the version: " + f.path(), model,
              version.toString(), null);
        }
        if (!Files.isRegularFile(p)) {
          throw new IntegrityException("file " + f.path() + " is missing", model, version.toString(), null);
        }
        long size = Files.size(p);
        if (size != f.size()) {
          throw new IntegrityException("file " + f.path() + " has " + size + " bytes, the manifest says "
              + f.size(), model, version.toString(), null);
        }
        FileTime time = Files.getLastModifiedTime(p);
        fingerprint.add(size);
        fingerprint.add(time);
      }
      if (!force && fingerprint.equals(verified.get(dir))) {
        return new ModelVersion(m, files);
      }
      for (FileEntry f : m.files()) {
        String sha = FsOps.sha256(files.resolve(f.path()), n -> { });
        if (!sha.equals(f.sha256())) {
          verified.remove(dir);
          throw new IntegrityException("file " + f.path() + " has SHA-256 " + sha + ", the manifest says "
              + f.sha256() + "; the version is damaged and will not be served", model, version.toString(), null);
        }
      }
    } catch (IOException e) {
      throw new IntegrityException("the files cannot be read: " + e, model, version.toString(), e);
    }
    verified.put(dir, fingerprint);
    return new ModelVersion(m, files);
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
    List<SemVer> out = new ArrayList<>();
    Set<SemVer> seen = new HashSet<>();
    SemVer at = manifest(model, version).parent();
    while (at != null && seen.add(at) && Files.isDirectory(versionDir(model, at))) {
      out.add(at);
      at = manifest(model, at).parent();
    }
    return out;
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
    List<SemVer> out = new ArrayList<>();
    for (SemVer v : parents.keySet()) {
      Set<SemVer> seen = new HashSet<>();
      SemVer at = parents.get(v);
      while (at != null && seen.add(at)) {
        if (at.equals(version)) {
          out.add(v);
          break;
        }
        at = parents.get(at);
      }
    }
    return out;
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
    Manifest a = manifest(model, from);
    Manifest b = manifest(model, to);
    Map<String, Double> deltas = new TreeMap<>();
    List<String> onlyA = new ArrayList<>();
    List<String> onlyB = new ArrayList<>();
    for (var e : new TreeMap<>(a.metrics()).entrySet()) {
      Double other = b.metrics().get(e.getKey());
      if (other == null) {
        onlyA.add(e.getKey());
      } else {
        deltas.put(e.getKey(), other - e.getValue());
      }
    }
    for (String k : new TreeMap<>(b.metrics()).keySet()) {
      if (!a.metrics().containsKey(k)) {
        onlyB.add(k);
      }
    }
    Map<String, List<String>> tagChanges = new TreeMap<>();
    Set<String> tagKeys = new HashSet<>(a.tags().keySet());
    tagKeys.addAll(b.tags().keySet());
    for (String k : tagKeys) {
      if (!Objects.equals(a.tags().get(k), b.tags().get(k))) {
        tagChanges.put(k, Collections.unmodifiableList(Arrays.asList(a.tags().get(k), b.tags().get(k))));
      }
    }
    Map<String, String> filesA = new TreeMap<>();
    a.files().forEach(f -> filesA.put(f.path(), f.sha256()));
    Map<String, String> filesB = new TreeMap<>();
    b.files().forEach(f -> filesB.put(f.path(), f.sha256()));
    List<String> added = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    for (var e : filesB.entrySet()) {
      String old = filesA.get(e.getKey());
      if (old == null) {
        added.add(e.getKey());
      } else if (!old.equals(e.getValue())) {
        changed.add(e.getKey());
      }
    }
    for (String k : filesA.keySet()) {
      if (!filesB.containsKey(k)) {
        removed.add(k);
      }
    }
    return new VersionDiff(model, from, to, Collections.unmodifiableMap(deltas), List.copyOf(onlyA),
        List.copyOf(onlyB), Collections.unmodifiableMap(tagChanges), List.copyOf(added), List.copyOf(removed),
        List.copyOf(changed));
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
    readAliases(modelPath(model)).entries().forEach((k, v) -> out.put(k, v.target()));
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
    AliasBook.Entry e = readAliases(modelPath(model)).entries().get(Names.alias(alias));
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
    AliasBook.Entry e = readAliases(modelPath(model)).entries().get(Names.alias(alias));
    return e == null ? List.of() : e.history();
  }

  /**
   * Points an alias at a version, whatever it pointed at before.
   *
   * @param model the model
   * @param alias the alias, such as {@code production}
   * @param version an existing version
   * @return the previous target, or null if the alias was new
   * @throws ModelNotFoundException if the version does not exist
   */
  public SemVer setAlias(String model, String alias, SemVer version) {
    return moveAlias(model, alias, null, false, version, "set");
  }

  /**
   * Points an alias at a version only if it still points at {@code expected}.
   *
   * @param model the model
   * @param alias the alias
   * @param expected the target it must have now, or null if it must not exist yet
   * @param version an existing version
   * @return whether the alias moved
   * @throws ModelNotFoundException if the version does not exist
   */
  public boolean compareAndSetAlias(String model, String alias, SemVer expected, SemVer version) {
    try {
      moveAlias(model, alias, expected, true, version, "set");
      return true;
    } catch (ConcurrentAliasChange e) {
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
    return moveAlias(model, alias, null, false, version, "promote");
  }

  /**
   * Returns an alias to the target it had before its last move (repeatable, up to
   * {@value AliasBook#ROLLBACK_DEPTH} moves back).
   *
   * @param model the model
   * @param alias the alias
   * @return the version the alias points at now
   * @throws IllegalStateException if the alias has no earlier target to return to
   */
  public SemVer rollback(String model, String alias) {
    Names.alias(alias);
    Path modelDir = modelDir(model);
    try (ModelLock lock = ModelLock.acquire(lockFile(modelDir))) {
      AliasBook book = readAliases(modelDir);
      AliasBook.Entry e = book.entries().get(alias);
      if (e == null || e.stack().isEmpty()) {
        throw new IllegalStateException("alias '" + alias + "' of model '" + model
            + "' has no earlier target to roll back to");
      }
      List<SemVer> stack = new ArrayList<>(e.stack());
      SemVer back = stack.remove(stack.size() - 1);
      if (!Files.isDirectory(versionDir(model, back))) {
        throw new IllegalStateException("alias '" + alias + "' would roll back to " + back
            + ", which no longer exists");
      }
      Instant now = clock.instant();
      List<AliasMove> history = new ArrayList<>(e.history());
      history.add(new AliasMove(alias, e.target(), back, now, actor, "rollback"));
      writeAliases(modelDir, book, alias, new AliasBook.Entry(back, stack, history));
      appendEvent(modelDir, new RegistryEvent(RegistryEvent.Type.ROLLED_BACK, model, back, alias, e.target(), now, actor));
      log.info("rolled back alias '{}' of model '{}' from {} to {}", alias, model, e.target(), back);
      return back;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  private SemVer moveAlias(String model, String alias, SemVer expected, boolean cas, SemVer version, String action) {
    Names.alias(alias);
    Objects.requireNonNull(version, "version");
    Path modelDir = modelDir(model);
    try (ModelLock lock = ModelLock.acquire(lockFile(modelDir))) {
      if (!Files.isDirectory(versionDir(model, version))) {
        throw new ModelNotFoundException("version " + version + " does not exist; publish it first",
            model, version.toString());
      }
      AliasBook book = readAliases(modelDir);
      AliasBook.Entry e = book.entries().get(alias);
      SemVer current = e == null ? null : e.target();
      if (cas && !Objects.equals(current, expected)) {
        throw new ConcurrentAliasChange();
      }
      Instant now = clock.instant();
      List<SemVer> stack = e == null ? new ArrayList<>() : new ArrayList<>(e.stack());
      List<AliasMove> history = e == null ? new ArrayList<>() : new ArrayList<>(e.history());
      if (current != null && !current.equals(version)) {
        stack.add(current);
        while (stack.size() > AliasBook.ROLLBACK_DEPTH) {
          stack.remove(0);
        }
      }
      history.add(new AliasMove(alias, current, version, now, actor, action));
      writeAliases(modelDir, book, alias, new AliasBook.Entry(version, stack, history));
      appendEvent(modelDir, new RegistryEvent(RegistryEvent.Type.ALIAS_MOVED, model, version, alias, current, now, actor));
      log.info("alias '{}' of model '{}' moved from {} to {} ({})", alias, model, current, version, action);
      return current;
    } catch (IOException ex) {
      throw new UncheckedIOException(ex);
    }
  }

  /** Thrown inside compare-and-set when the alias moved; never escapes. */
  private static final class ConcurrentAliasChange extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConcurrentAliasChange() {
      super(null, null, false, false);
    }
  }

  /**
   * Reads a model's aliases, from the cache when the file is the one read last time. Alias files
   * are only ever replaced by a rename, so a new file has a new identity (inode) even when its
   * size and time are equal to the old one's.
   */
  private AliasBook readAliases(Path modelDir) {
    Path file = modelDir.resolve("aliases.json");
    try {
      BasicFileAttributes attrs = Files.readAttributes(file, BasicFileAttributes.class);
      List<Object> stamp = Arrays.asList(attrs.fileKey(), attrs.lastModifiedTime(), attrs.size());
      CachedAliases cached = aliasCache.get(file);
      if (cached != null && attrs.fileKey() != null && cached.stamp().equals(stamp)) {
        return cached.book();
      }
      AliasBook book = RegistryJson.aliases(Files.readAllBytes(file));
      aliasCache.put(file, new CachedAliases(stamp, book));
      return book;
    } catch (NoSuchFileException e) {
      return AliasBook.EMPTY;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
  }

  private record CachedAliases(List<Object> stamp, AliasBook book) {}

  private static void writeAliases(Path modelDir, AliasBook book, String alias, AliasBook.Entry entry)
      throws IOException {
    Map<String, AliasBook.Entry> entries = new TreeMap<>(book.entries());
    entries.put(alias, entry);
    FsOps.writeAtomically(modelDir.resolve("aliases.json"), RegistryJson.aliases(new AliasBook(entries)));
  }

  // =================================================================== events

  /**
   * Reads a model's event log, oldest first. A last line torn by a crash is skipped.
   *
   * @param model the model
   * @return the events
   * @throws UncheckedIOException if a complete line does not parse
   */
  public List<RegistryEvent> events(String model) {
    Path file = modelPath(model).resolve("events.log");
    List<RegistryEvent> out = new ArrayList<>();
    String text;
    try {
      text = Files.readString(file, StandardCharsets.UTF_8);
    } catch (NoSuchFileException e) {
      return out;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    int start = 0;
    int lineNo = 1;
    for (int nl = text.indexOf('\n'); nl >= 0; nl = text.indexOf('\n', start), lineNo++) {
      String line = text.substring(start, nl);
      start = nl + 1;
      if (line.isBlank()) {
        continue;
      }
      try {
        out.add(RegistryJson.event(line));
      } catch (IOException e) {
        throw new UncheckedIOException("events.log of model '" + model + "' line " + lineNo
            + " is damaged: " + e.getMessage(), e);
      }
    }
    return out;
  }

  /** Appends one line, first cutting off a line a crashed writer left incomplete. Call under the lock. */
  static void appendEvent(Path modelDir, RegistryEvent event) throws IOException {
    Path file = modelDir.resolve("events.log");
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.READ,
        StandardOpenOption.WRITE)) {
      long size = ch.size();
      long end = size;
      if (size > 0) {
        // find the end of the last complete line
        ByteBuffer one = ByteBuffer.allocate(1);
        while (end > 0) {
          one.clear();
          ch.read(one, end - 1);
          if (one.get(0) == '\n') {
            break;
          }
          end--;
        }
        if (end != size) {
          log.warn("events.log in {} ended with an incomplete line ({} bytes) left by a crash; dropped it",
              modelDir, size - end);
          ch.truncate(end);
        }
      }
      ch.write(ByteBuffer.wrap(RegistryJson.eventLine(event)), end);
      ch.force(true);
    }
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
    Path modelDir = modelDir(model);
    List<SemVer> deleted = new ArrayList<>();
    try (ModelLock lock = ModelLock.acquire(lockFile(modelDir))) {
      List<SemVer> all = versionsUnlocked(model);
      Set<SemVer> keep = new HashSet<>(all.subList(0, Math.min(policy.keepLast(), all.size())));
      Set<SemVer> pinned = new HashSet<>();
      for (AliasBook.Entry e : readAliases(modelDir).entries().values()) {
        pinned.add(e.target());
        pinned.addAll(e.stack());
      }
      keep.addAll(pinned);
      if (!policy.deleteAncestors()) {
        for (SemVer v : pinned) {
          if (Files.isDirectory(versionDir(model, v))) {
            keep.addAll(ancestors(model, v));
          }
        }
      }
      Path trash = modelDir.resolve(".trash");
      for (SemVer v : all) {
        if (keep.contains(v)) {
          continue;
        }
        Files.createDirectories(trash);
        Path gone = trash.resolve(UUID.randomUUID().toString());
        FsOps.moveAtomically(versionDir(model, v), gone);
        FsOps.fsyncDir(versionDir(model, v).getParent());
        appendEvent(modelDir, new RegistryEvent(RegistryEvent.Type.DELETED, model, v, null, null, clock.instant(), actor));
        deleted.add(v);
      }
      FsOps.deleteRecursively(trash);
      removeAbandonedStaging(modelDir, policy.stagingMaxAge());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    if (!deleted.isEmpty()) {
      log.info("garbage-collected {} versions of model '{}': {}", deleted.size(), model, deleted);
    }
    return deleted;
  }

  private void removeAbandonedStaging(Path modelDir, Duration maxAge) throws IOException {
    Path staging = modelDir.resolve(".staging");
    if (!Files.isDirectory(staging)) {
      return;
    }
    Instant cutoff = clock.instant().minus(maxAge);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(staging)) {
      for (Path d : dirs) {
        if (Files.getLastModifiedTime(d).toInstant().isBefore(cutoff) || maxAge.isZero()) {
          FsOps.deleteRecursively(d);
        }
      }
    }
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
    return new ModelState(new HashSet<>(versionsUnlocked(model)), readAliases(modelPath(model)).entries());
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
    readAliases(models.resolve(model)).entries().forEach((k, v) -> aliases.put(k, v.target()));
    return new ModelNotFoundException("nothing matches " + selector + "; versions: " + versions
        + ", aliases: " + aliases.keySet(), model, selector.toString());
  }

  // =================================================================== paths

  private Path modelDir(String model) {
    Path dir = models.resolve(Names.model(model));
    try {
      Files.createDirectories(dir);
    } catch (FileAlreadyExistsException e) {
      throw new IllegalStateException(dir + " exists and is not a folder", e);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return dir;
  }

  /** The model's folder, for reading: validated, never created. */
  private Path modelPath(String model) {
    return models.resolve(Names.model(model));
  }

  private static Path lockFile(Path modelDir) {
    return modelDir.resolve(".lock");
  }

  private Path versionDir(String model, SemVer version) {
    return models.resolve(model).resolve("versions").resolve(version.toString());
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
     * Opens the registry, creating its folder and marker file if needed.
     *
     * @return the registry
     * @throws UncheckedIOException if the folder cannot be created or read
     * @throws IllegalStateException if it holds a registry of a newer layout
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
          throw new IllegalStateException(root + " holds a registry of layout " + format
              + "; this Swell reads layout " + FORMAT_VERSION);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot open registry " + root + ": " + e.getMessage(), e);
      }
      return new FileModelRegistry(root.toAbsolutePath().normalize(), clock, actor);
    }
  }
}
