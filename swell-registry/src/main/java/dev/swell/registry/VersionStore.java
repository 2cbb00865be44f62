package dev.swell.registry;

import dev.swell.api.ModelNotFoundException;
import dev.swell.api.IntegrityException;
import dev.swell.registry.signing.ModelSignatures;
import dev.swell.registry.signing.SigningKeys;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileTime;
import java.security.KeyPair;
import java.security.PublicKey;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The versions of a {@link FileModelRegistry}: publishing one (staged, hashed while copied,
 * fsynced, made visible by one rename under the model's lock and taken back unless its event is
 * logged), reading manifests (digest-checked, cached by the files' identity, time and size),
 * opening and verifying versions (sizes, SHA-256, unlisted files and signature; cached by the
 * files' fingerprint) and signing them. The registry validates names and finds folders; this class
 * holds no state but its caches. Thread-safe.
 */
final class VersionStore {

  private static final Logger log = LoggerFactory.getLogger(FileModelRegistry.class);
  private static final String MANIFEST = VersionChecks.MANIFEST;
  private static final String MANIFEST_DIGEST = VersionChecks.MANIFEST_DIGEST;
  private static final String FILES = VersionChecks.FILES;
  private static final String SIGNATURE = VersionChecks.SIGNATURE;
  private static final List<String> UNSIGNED_FILES = VersionChecks.UNSIGNED_FILES;

  private final Path models;
  private final Clock clock;
  private final String actor;
  private final long maxArtifactBytes;
  /** Verified versions: folder to the fingerprint (sizes and times) of its files when verified. */
  private final Map<Path, List<Object>> verified = new ConcurrentHashMap<>();
  /** Parsed, digest-checked manifests by version folder, with their files' identity, time and size. */
  private final Map<Path, CachedManifest> manifestCache = new ConcurrentHashMap<>();

  VersionStore(Path models, Clock clock, String actor, long maxArtifactBytes) {
    this.models = models;
    this.clock = clock;
    this.actor = actor;
    this.maxArtifactBytes = maxArtifactBytes;
  }

  /** A version's folder (which may not exist). */
  Path dir(String model, SemVer version) {
    return models.resolve(model).resolve("versions").resolve(version.toString());
  }

  private void recoverInterruptedPublishes(Path modelDir, String model) throws IOException {
    EventLog.recoverInterruptedPublishes(modelDir, model, v -> Files.isDirectory(dir(model, v)), actor);
  }

  /**
   * Publishes a version into the model's folder (see {@link FileModelRegistry#publish}).
   */
  Manifest publish(PublishRequest request, java.util.function.Supplier<Path> modelFolder) {
    if (request.version() != null) {
      Names.version(request.version());
      // a loser of a race for an explicit version learns it before copying the artifact
      if (Files.exists(dir(Names.model(request.model()), request.version()))) {
        throw new RegistryConflictException("version " + request.version()
            + " exists already; versions are immutable, publish a new one", request.model(), request.version().toString());
      }
    }
    long total = 0;
    for (Path f : request.files()) {
      try {
        total += Files.size(f);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read " + f + ": " + e.getMessage(), e);
      }
    }
    if (total > maxArtifactBytes) {
      throw new IllegalArgumentException("the artifact has " + total + " bytes; this registry accepts at most "
          + maxArtifactBytes + " (FileModelRegistry.Builder.maxArtifactBytes)");
    }
    Path modelDir = modelFolder.get();
    Path staging = modelDir.resolve(".staging").resolve(UUID.randomUUID().toString());
    try {
      Files.createDirectories(staging.resolve(FILES));
      List<FileEntry> entries = stageFiles(request, staging.resolve(FILES));
      try (ModelLock lock = ModelLock.acquire(modelDir.resolve(".lock"))) {
        recoverInterruptedPublishes(modelDir, request.model());
        // Listing every version costs O(n): only a bump or a parent-is-latest needs it.
        List<SemVer> existing = request.version() == null || request.parentFromLatest()
            ? list(request.model()) : List.of();
        SemVer latest = existing.isEmpty() ? null : existing.get(0);
        SemVer parent = request.parentFromLatest() ? latest : request.parent();
        if (parent != null && !Files.isDirectory(dir(request.model(), parent))) {
          throw new ModelNotFoundException("parent version " + parent + " does not exist", request.model(),
              parent.toString());
        }
        // numbers of deleted versions are never given again: a consumer that saw 0.2.0 must never
        // get other bytes under that name
        java.util.Set<SemVer> deleted = new java.util.HashSet<>();
        for (RegistryEvent e : EventLog.read(modelDir.resolve("events.log")).events()) {
          if (e.type() == RegistryEvent.Type.PUBLISHED && e.version() != null && !Files.isDirectory(dir(request.model(), e.version()))) {
            deleted.add(e.version());
          }
        }
        if (request.version() != null && deleted.contains(request.version())) {
          throw new RegistryConflictException("version " + request.version()
              + " was published before and has been deleted; a version number is never reused, publish a new one",
              request.model(), request.version().toString());
        }
        List<SemVer> taken = new ArrayList<>(existing);
        taken.addAll(deleted);
        SemVer version = request.version() != null ? request.version()
            : bump(parent != null ? parent : latest, request.bump(), taken);
        Names.version(version);
        Path target = dir(request.model(), version);
        if (Files.exists(target)) {
          throw new RegistryConflictException("version " + version
              + " exists already; versions are immutable, publish a new one", request.model(), version.toString());
        }
        for (SemVer other : request.version() == null ? existing : list(request.model())) {
          if (other.toString().equalsIgnoreCase(version.toString()) && !other.equals(version)) {
            throw new RegistryConflictException("version " + version + " differs from version " + other
                + " only in case; the two folders would be one on macOS and Windows", request.model(), version.toString());
          }
        }
        Manifest manifest = new Manifest(FileModelRegistry.FORMAT_VERSION, request.model(), version, request.format(),
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
        // an intent record: a publisher killed between the rename and the event leaves it, and
        // the next writer of the model logs the event (recoverInterruptedPublishes)
        Path intent = staging.resolveSibling(staging.getFileName() + EventLog.PUBLISHING);
        FsOps.writeAtomically(intent, (version + "\n" + manifest.createdAt() + "\n").getBytes(StandardCharsets.UTF_8));
        FsOps.moveAtomically(staging, target);
        FsOps.fsyncDir(target.getParent());
        try {
          EventLog.append(modelDir, List.of(new RegistryEvent(RegistryEvent.Type.PUBLISHED, request.model(), version,
              null, null, manifest.createdAt(), actor)));
        } catch (IOException e) {
          // the version is not published unless its event is: take it back, then fail
          FsOps.moveAtomically(target, staging);
          FsOps.fsyncDir(target.getParent());
          Files.deleteIfExists(intent);
          throw e;
        }
        Files.deleteIfExists(intent);
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
      Path from = request.files().get(i);
      Path to = filesDir.resolve(rel);
      Files.createDirectories(to.getParent());
      BasicFileAttributes before = Files.readAttributes(from, BasicFileAttributes.class);
      String sha = FsOps.copyHashing(from, to, n -> {
        done[0] += n;
        request.progress().update(Math.min(done[0], all), all);
      });
      BasicFileAttributes after = Files.readAttributes(from, BasicFileAttributes.class);
      long copied = Files.size(to);
      if (copied != before.size() || after.size() != before.size()
          || !after.lastModifiedTime().equals(before.lastModifiedTime())) {
        // a file still being written would be published as a torn prefix
        throw new SourceChangedException(from + " changed while it was being published (" + before.size()
            + " bytes when the copy started, " + after.size() + " when it ended, " + copied
            + " copied); publish it once it is complete", request.model());
      }
      entries.add(new FileEntry(rel, copied, sha));
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

  /** Reads a version's manifest, checking its digest; cached unless {@code force}. */
  /**
   * Reads and checks a manifest, from the cache when its two files are the ones read last time
   * (same identity, time and size) unless {@code force}.
   */
  Manifest manifest(String model, SemVer version, Path dir, boolean force) {
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

  /** A model's versions, newest first; no lock needed (a version appears by one rename). */
  List<SemVer> list(String model) {
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
   * Opens a version: its manifest, then every file's size and SHA-256 (skipped when the files'
   * fingerprint is the one verified last, unless {@code force}), and its signature when
   * {@code keys} is not empty.
   */
  ModelVersion open(String model, SemVer version, Path dir, boolean force, List<PublicKey> keys) {
    boolean signed = !keys.isEmpty();
    Manifest m = manifest(model, version, dir, force);
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
        BasicFileAttributes a;
        try {
          a = Files.readAttributes(p, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        } catch (NoSuchFileException e) {
          throw new IntegrityException("file " + f.path() + " is missing", model, version.toString(), null);
        }
        if (a.isSymbolicLink()) {
          throw new IntegrityException("file " + f.path() + " is a symbolic link; a version holds only its own files",
              model, version.toString(), null);
        }
        if (!a.isRegularFile()) {
          throw new IntegrityException("file " + f.path() + " is missing", model, version.toString(), null);
        }
        long size = a.size();
        if (size != f.size()) {
          throw new IntegrityException("file " + f.path() + " has " + size + " bytes, the manifest says "
              + f.size(), model, version.toString(), null);
        }
        FileTime time = a.lastModifiedTime();
        fingerprint.add(size);
        fingerprint.add(time);
      }
      if (signed) {
        fingerprint.add(VersionChecks.stamp(dir.resolve(SIGNATURE)));
      }
      if (!force && fingerprint.equals(verified.get(dir))) {
        return new ModelVersion(m, files);
      }
      verified.remove(dir);
      Map<String, String> unlisted = VersionChecks.unlistedFiles(dir, m, model, version);
      if (!unlisted.isEmpty() && !signed) {
        throw new IntegrityException("the version holds files its manifest does not list: " + unlisted.keySet()
            + "; the version is damaged and will not be served", model, version.toString(), null);
      }
      for (FileEntry f : m.files()) {
        String sha = FsOps.sha256(files.resolve(f.path()), n -> { });
        if (!sha.equals(f.sha256())) {
          throw new IntegrityException("file " + f.path() + " has SHA-256 " + sha + ", the manifest says "
              + f.sha256() + "; the version is damaged and will not be served", model, version.toString(), null);
        }
      }
      if (signed) {
        VersionChecks.checkSignature(dir, m, unlisted, model, version, keys);
      }
    } catch (IOException e) {
      throw new IntegrityException("the files cannot be read: " + e, model, version.toString(), e);
    }
    verified.put(dir, fingerprint);
    return new ModelVersion(m, files);
  }

  /** Signs a version (see {@link FileModelRegistry#sign}). */
  String sign(String model, SemVer version, Path dir, Path modelDir, KeyPair key) {
    try (ModelLock lock = ModelLock.acquire(modelDir.resolve(".lock"))) {
      recoverInterruptedPublishes(modelDir, model);
      Manifest m = manifest(model, version, dir, true);
      Map<String, String> unlisted = VersionChecks.unlistedFiles(dir, m, model, version);
      if (!unlisted.isEmpty()) {
        throw new IntegrityException("the version holds files its manifest does not list: " + unlisted.keySet(),
            model, version.toString(), null);
      }
      open(model, version, dir, true, List.of()); // the files, before they are vouched for
      byte[] bundle = ModelSignatures.sign(model, VersionChecks.signedDigests(dir, m), UNSIGNED_FILES, key);
      String hint = SigningKeys.hint(key.getPublic());
      EventLog.replaceLogged(modelDir, dir.resolve(SIGNATURE), bundle, new RegistryEvent(RegistryEvent.Type.SIGNED,
          model, version, null, null, clock.instant(), actor, null, "key " + hint));
      verified.remove(dir);
      log.info("signed model '{}' {} with key {}", model, version, hint.substring(0, 12));
      return hint;
    } catch (IOException e) {
      throw new UncheckedIOException("signing model '" + model + "' " + version + " failed: " + e.getMessage(), e);
    }
  }
}
