package dev.swell.registry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.LinkOption;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.MessageDigest;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.apache.commons.compress.archivers.zip.ZipFile;

/**
 * Backs up and restores models: every version, aliases with their history, the event log and
 * experiments, in one zip archive with a manifest of sizes and SHA-256 digests
 * ({@value #MANIFEST}).
 *
 * <p>An export holds each model's lock while it reads it, so the archive is a consistent snapshot
 * of each model. An import checks the whole archive before anything becomes visible: entry names
 * confined to {@code models/NAME/...} (no {@code ..}, no absolute path, no backslash), no symbolic
 * links, no duplicate entries, every entry listed in the manifest with its digest and nothing else,
 * no model that exists in the target (a version conflict), and then the restored registry
 * verifies. It is extracted into a private folder of the target and each model made visible by one
 * atomic rename; a refused archive leaves the target unchanged.
 *
 * <pre>{@code
 * RegistryArchive.export(registry, List.of(), Path.of("backup.zip"));   // all models
 * RegistryArchive.importInto(other, Path.of("backup.zip"));
 * }</pre>
 */
public final class RegistryArchive {

  /** The archive's own manifest entry. */
  public static final String MANIFEST = "swell-archive.json";
  private static final int BUFFER = 1 << 20;

  private RegistryArchive() {}

  /** What an archive holds. */
  public record Summary(List<String> models, int files, long bytes) {
    /** Copies the list. */
    public Summary {
      models = List.copyOf(models);
    }
  }

  /**
   * Exports models to a new zip file.
   *
   * @param registry the registry
   * @param models the models to export; empty for all
   * @param archive the zip file to create (must not exist)
   * @return what was written
   * @throws UncheckedIOException if reading or writing fails (a partial archive is deleted)
   * @throws dev.swell.api.ModelNotFoundException if a model does not exist
   */
  public static Summary export(FileModelRegistry registry, List<String> models, Path archive) {
    List<String> chosen = models.isEmpty() ? registry.models() : models;
    for (String m : chosen) {
      registry.versions(m); // validates the name
      if (!Files.isDirectory(registry.root().resolve("models").resolve(m))) {
        throw new dev.swell.api.ModelNotFoundException("no such model in registry " + registry.root(), m, null);
      }
    }
    ObjectNode manifest = RegistryJson.MAPPER.createObjectNode();
    manifest.put("formatVersion", FileModelRegistry.FORMAT_VERSION);
    manifest.put("createdAt", Clock.systemUTC().instant().toString());
    ArrayNode list = manifest.putArray("models");
    chosen.forEach(list::add);
    ArrayNode entries = manifest.putArray("entries");
    long bytes = 0;
    int files = 0;
    try (ZipArchiveOutputStream zip = new ZipArchiveOutputStream(Files.newOutputStream(archive,
        StandardOpenOption.CREATE_NEW, StandardOpenOption.WRITE))) {
      for (String model : chosen) {
        Path modelDir = registry.root().resolve("models").resolve(model);
        try (ModelLock lock = ModelLock.acquire(modelDir.resolve(".lock"))) {
          for (Path f : exportedFiles(modelDir)) {
            String name = "models/" + model + "/" + modelDir.relativize(f).toString().replace(f.getFileSystem().getSeparator(), "/");
            zip.putArchiveEntry(new ZipArchiveEntry(name));
            MessageDigest md = FsOps.sha256Digest();
            long size = 0;
            byte[] buf = new byte[BUFFER];
            try (InputStream in = Files.newInputStream(f, LinkOption.NOFOLLOW_LINKS)) {
              int n;
              while ((n = in.read(buf)) > 0) {
                md.update(buf, 0, n);
                zip.write(buf, 0, n);
                size += n;
              }
            }
            zip.closeArchiveEntry();
            entries.addObject().put("path", name).put("size", size).put("sha256", HexFormat.of().formatHex(md.digest()));
            bytes += size;
            files++;
          }
        }
      }
      zip.putArchiveEntry(new ZipArchiveEntry(MANIFEST));
      zip.write(RegistryJson.MAPPER.writeValueAsBytes(manifest));
      zip.closeArchiveEntry();
      zip.finish();
    } catch (IOException e) {
      try {
        Files.deleteIfExists(archive);
      } catch (IOException ignored) {
        // the original failure is the one to report
      }
      throw new UncheckedIOException("exporting to " + archive + " failed: " + e.getMessage(), e);
    }
    try {
      FsOps.fsync(archive);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return new Summary(chosen, files, bytes);
  }

  /** A model's files, less its lock, work folders and the experiment leader locks. */
  private static List<Path> exportedFiles(Path modelDir) throws IOException {
    List<Path> out = new ArrayList<>();
    try (Stream<Path> walk = Files.walk(modelDir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, LinkOption.NOFOLLOW_LINKS);
        String rel = modelDir.relativize(p).toString();
        if (a.isSymbolicLink()) {
          throw new IOException(p + " is a symbolic link; a registry holds none");
        }
        String first = rel.split("[/\\\\]", 2)[0];
        if (!a.isRegularFile() || first.equals(".lock") || first.equals(".staging") || first.equals(".trash")
            || p.getFileName().toString().equals(".lead")) {
          continue;
        }
        out.add(p);
      }
    }
    Collections.sort(out);
    return out;
  }

  /**
   * Imports an archive into a registry, all or nothing.
   *
   * @param registry the target registry
   * @param archive the zip file
   * @return what was imported
   * @throws IllegalArgumentException if the archive is hostile or damaged (what and where)
   * @throws RegistryConflictException if a model of the archive exists in the target
   * @throws UncheckedIOException if reading or writing fails
   */
  public static Summary importInto(FileModelRegistry registry, Path archive) {
    Path stage = registry.root().resolve(".import-" + UUID.randomUUID());
    try (ZipFile zip = ZipFile.builder().setPath(archive).get()) {
      Map<String, JsonNode> expected = readManifest(zip);
      List<String> models = new ArrayList<>();
      JsonNode listed = readManifestNode(zip).path("models");
      for (JsonNode m : listed) {
        models.add(Names.model(m.asText()));
      }
      Map<String, ZipArchiveEntry> entries = new TreeMap<>();
      for (ZipArchiveEntry e : Collections.list(zip.getEntries())) {
        String name = e.getName();
        if (name.equals(MANIFEST)) {
          continue;
        }
        if (e.isUnixSymlink()) {
          throw new IllegalArgumentException("archive entry " + printable(name) + " is a symbolic link; refused");
        }
        if (e.isDirectory()) {
          continue;
        }
        checkEntryName(name, models);
        if (entries.put(name, e) != null || count(zip.getEntries(name)) > 1) {
          throw new IllegalArgumentException("archive entry " + printable(name) + " appears twice; refused");
        }
      }
      if (!entries.keySet().equals(expected.keySet())) {
        List<String> extra = new ArrayList<>(entries.keySet());
        extra.removeAll(expected.keySet());
        List<String> missing = new ArrayList<>(expected.keySet());
        missing.removeAll(entries.keySet());
        throw new IllegalArgumentException("the archive's entries are not the ones its manifest lists (unlisted: "
            + extra.stream().limit(5).toList() + ", missing: " + missing.stream().limit(5).toList() + ")");
      }
      List<String> existing = new ArrayList<>();
      for (String m : models) {
        if (Files.exists(registry.root().resolve("models").resolve(m))) {
          existing.add(m);
        }
      }
      if (!existing.isEmpty()) {
        throw new RegistryConflictException("models " + existing + " exist in " + registry.root()
            + " already; an import never merges versions into an existing model", null, null);
      }
      long bytes = 0;
      Files.createDirectories(stage.resolve("models"));
      Files.writeString(stage.resolve("registry.json"), "{\"formatVersion\": " + FileModelRegistry.FORMAT_VERSION + "}\n");
      for (Map.Entry<String, ZipArchiveEntry> e : entries.entrySet()) {
        Path to = stage.resolve(e.getKey()).normalize();
        if (!to.startsWith(stage.resolve("models"))) {
          throw new IllegalArgumentException("archive entry " + printable(e.getKey()) + " leads outside the registry");
        }
        Files.createDirectories(to.getParent());
        JsonNode want = expected.get(e.getKey());
        long limit = want.path("size").asLong(-1);
        MessageDigest md = FsOps.sha256Digest();
        long size = 0;
        byte[] buf = new byte[BUFFER];
        try (InputStream in = zip.getInputStream(e.getValue());
             OutputStream out = Files.newOutputStream(to, StandardOpenOption.CREATE_NEW)) {
          int n;
          while ((n = in.read(buf)) > 0) {
            size += n;
            if (size > limit) {
              throw new IllegalArgumentException("archive entry " + printable(e.getKey()) + " is larger than its manifest says ("
                  + limit + " bytes)");
            }
            md.update(buf, 0, n);
            out.write(buf, 0, n);
          }
        }
        String sha = HexFormat.of().formatHex(md.digest());
        if (size != limit || !sha.equals(want.path("sha256").asText())) {
          throw new IllegalArgumentException("archive entry " + printable(e.getKey()) + " has " + size + " bytes and SHA-256 "
              + sha + "; its manifest says " + limit + " and " + want.path("sha256").asText());
        }
        FsOps.fsync(to);
        bytes += size;
      }
      List<String> problems = FileModelRegistry.open(stage).verifyAll();
      if (!problems.isEmpty()) {
        throw new IllegalArgumentException("the archive's registry does not verify: " + problems);
      }
      List<String> moved = new ArrayList<>();
      try {
        for (String m : models) {
          Path from = stage.resolve("models").resolve(m);
          if (Files.isDirectory(from)) {
            FsOps.moveAtomically(from, registry.root().resolve("models").resolve(m));
            moved.add(m);
          }
        }
      } catch (FileAlreadyExistsException | DirectoryNotEmptyException race) {
        for (String m : moved) { // a model appeared meanwhile: take back what was moved
          FsOps.moveAtomically(registry.root().resolve("models").resolve(m), stage.resolve("models").resolve(m));
        }
        RegistryConflictException e = new RegistryConflictException(
            "a model of the archive appeared in the target during the import: " + race.getMessage(), null, null);
        e.initCause(race);
        throw e;
      }
      FsOps.fsyncDir(registry.root().resolve("models"));
      return new Summary(models, entries.size(), bytes);
    } catch (IOException e) {
      throw new UncheckedIOException("importing " + archive + " failed: " + e.getMessage(), e);
    } finally {
      FsOps.deleteRecursively(stage);
    }
  }

  private static JsonNode readManifestNode(ZipFile zip) throws IOException {
    ZipArchiveEntry m = zip.getEntry(MANIFEST);
    if (m == null) {
      throw new IllegalArgumentException("not a Swell archive: no " + MANIFEST);
    }
    if (count(zip.getEntries(MANIFEST)) > 1) {
      throw new IllegalArgumentException(MANIFEST + " appears twice; refused");
    }
    try (InputStream in = zip.getInputStream(m)) {
      JsonNode n = RegistryJson.MAPPER.readTree(in.readNBytes(16 << 20));
      int format = n.path("formatVersion").asInt(-1);
      if (format < 1 || format > FileModelRegistry.FORMAT_VERSION) {
        throw new IllegalArgumentException(MANIFEST + " is of layout " + n.path("formatVersion")
            + "; this Swell reads layout " + FileModelRegistry.FORMAT_VERSION);
      }
      return n;
    }
  }

  private static Map<String, JsonNode> readManifest(ZipFile zip) throws IOException {
    Map<String, JsonNode> out = new LinkedHashMap<>();
    for (JsonNode e : readManifestNode(zip).path("entries")) {
      if (out.put(e.path("path").asText(), e) != null) {
        throw new IllegalArgumentException(MANIFEST + " lists " + printable(e.path("path").asText()) + " twice");
      }
    }
    return out;
  }

  /** {@code models/NAME/...}: a listed model, relative segments only. */
  private static void checkEntryName(String name, List<String> models) {
    if (name.startsWith("/") || name.indexOf('\\') >= 0 || name.indexOf('\0') >= 0 || name.matches("^[A-Za-z]:.*")) {
      throw new IllegalArgumentException("archive entry " + printable(name) + " is not a relative path; refused");
    }
    String[] seg = name.split("/", -1);
    for (String s : seg) {
      if (s.isEmpty() || s.equals(".") || s.equals("..")) {
        throw new IllegalArgumentException("archive entry " + printable(name) + " has an empty, . or .. segment; refused");
      }
    }
    if (seg.length < 3 || !seg[0].equals("models") || !models.contains(seg[1])) {
      throw new IllegalArgumentException("archive entry " + printable(name)
          + " lies outside the models the archive lists (" + models + "); refused");
    }
  }

  private static int count(Iterable<?> items) {
    int n = 0;
    for (Object ignored : items) {
      n++;
    }
    return n;
  }

  private static String printable(String s) {
    return "'" + Names.printable(s) + "'";
  }
}
