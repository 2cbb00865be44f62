package dev.swell.registry;

import dev.swell.api.IntegrityException;
import dev.swell.registry.signing.ModelSignatureException;
import dev.swell.registry.signing.ModelSignatures;
import dev.swell.registry.signing.SignedStatement;
import dev.swell.registry.signing.SigningKeys;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/** The checks of a version folder beyond its manifest: unlisted files, links, and its signature. */
final class VersionChecks {

  static final String MANIFEST = "manifest.json";
  static final String MANIFEST_DIGEST = "manifest.sha256";
  static final String FILES = "files";
  static final String SIGNATURE = "model.sig";
  /** What a version's signature leaves out: the manifest's checksum and the signature itself. */
  static final List<String> UNSIGNED_FILES = List.of(MANIFEST_DIGEST, SIGNATURE);

  private VersionChecks() {}

  /**
   * The version folder's files that the manifest does not account for, by path relative to the
   * version folder, with their SHA-256; symbolic links are refused.
   */
  static Map<String, String> unlistedFiles(Path dir, Manifest m, String model, SemVer version) throws IOException {
    Set<String> known = new HashSet<>();
    m.files().forEach(f -> known.add(FILES + "/" + f.path()));
    known.add(MANIFEST);
    known.addAll(UNSIGNED_FILES);
    Map<String, String> extra = new TreeMap<>();
    try (var walk = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) walk::iterator) {
        BasicFileAttributes a = Files.readAttributes(p, BasicFileAttributes.class, java.nio.file.LinkOption.NOFOLLOW_LINKS);
        String rel = dir.relativize(p).toString().replace(p.getFileSystem().getSeparator(), "/");
        if (a.isSymbolicLink()) {
          throw new IntegrityException(rel + " is a symbolic link; a version holds only its own files",
              model, version.toString(), null);
        }
        if (a.isRegularFile() && !known.contains(rel)) {
          extra.put(rel, FsOps.sha256(p, n -> { }));
        }
      }
    }
    return extra;
  }

  /** Checks the version's signature against the trust policy: by a trusted key, over exactly its files. */
  static void checkSignature(Path dir, Manifest m, Map<String, String> unlisted, String model, SemVer version,
      List<java.security.PublicKey> keys) throws IOException {
    byte[] bundle;
    try {
      bundle = Files.readAllBytes(dir.resolve(SIGNATURE));
    } catch (NoSuchFileException e) {
      throw new ModelSignatureException(ModelSignatureException.Reason.UNSIGNED, "the trust policy requires model '"
          + model + "' to be signed by one of " + keys.stream().map(k -> SigningKeys.hint(k).substring(0, 12)).toList()
          + " and version " + version + " has no " + SIGNATURE, model, version.toString(), null);
    }
    SignedStatement statement = ModelSignatures.verifyBundle(bundle, keys, model, version.toString());
    Map<String, String> actual = new TreeMap<>(signedDigests(dir, m));
    actual.putAll(unlisted);
    actual.keySet().removeIf(statement::ignores);
    statement.requireFiles(actual, model, version.toString());
  }

  /** What a version's signature covers: its files (as verified against the manifest) and the manifest. */
  static Map<String, String> signedDigests(Path dir, Manifest m) throws IOException {
    Map<String, String> out = new TreeMap<>();
    for (FileEntry f : m.files()) {
      out.put(FILES + "/" + f.path(), f.sha256());
    }
    out.put(MANIFEST, FsOps.sha256(dir.resolve(MANIFEST), n -> { }));
    return out;
  }

  static List<Object> stamp(Path file) throws IOException {
    try {
      BasicFileAttributes a = Files.readAttributes(file, BasicFileAttributes.class);
      return Arrays.asList(a.fileKey(), a.lastModifiedTime(), a.size());
    } catch (NoSuchFileException e) {
      return List.of();
    }
  }
}
