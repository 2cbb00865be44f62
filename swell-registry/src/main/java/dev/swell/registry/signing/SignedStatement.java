package dev.swell.registry.signing;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SortedMap;
import java.util.TreeMap;

/**
 * What a verified signature says: the files signed with their SHA-256, the paths the signer
 * ignored, and the trusted key that signed.
 *
 * @param subject the subject's name (the signed folder's name)
 * @param resources relative POSIX path to lowercase hex SHA-256, for every signed file
 * @param ignorePaths the paths the signer left out, relative to the signed folder
 * @param key the trusted key whose signature verified
 */
public record SignedStatement(String subject, SortedMap<String, String> resources, List<String> ignorePaths,
    PublicKey key) {

  /** Copies the collections. */
  public SignedStatement {
    resources = java.util.Collections.unmodifiableSortedMap(new TreeMap<>(resources));
    ignorePaths = List.copyOf(ignorePaths);
  }

  /**
   * Whether a relative path is left out by the signer's ignore paths (itself or a parent folder).
   *
   * @param relative a relative POSIX path
   * @return true if the signature does not cover it
   */
  public boolean ignores(String relative) {
    String p = relative;
    while (true) {
      if (ignorePaths.contains(p)) {
        return true;
      }
      int slash = p.lastIndexOf('/');
      if (slash < 0) {
        return false;
      }
      p = p.substring(0, slash);
    }
  }

  /**
   * Checks that the files present are exactly the files signed, with the same digests.
   *
   * @param actual relative POSIX path to hex SHA-256 of every file present and not ignored
   * @param model the model, for the message, or null
   * @param version the version, for the message, or null
   * @throws ModelSignatureException with {@link ModelSignatureException.Reason#FILES_DIFFER} naming the files
   */
  public void requireFiles(Map<String, String> actual, String model, String version) {
    List<String> problems = new ArrayList<>();
    for (Map.Entry<String, String> e : resources.entrySet()) {
      String got = actual.get(e.getKey());
      if (got == null) {
        problems.add(e.getKey() + " is signed but missing");
      } else if (!got.equalsIgnoreCase(e.getValue())) {
        problems.add(e.getKey() + " has SHA-256 " + got + ", signed " + e.getValue());
      }
    }
    for (String name : actual.keySet()) {
      if (!resources.containsKey(name)) {
        problems.add(name + " is present but not signed");
      }
    }
    if (!problems.isEmpty()) {
      throw new ModelSignatureException(ModelSignatureException.Reason.FILES_DIFFER,
          String.join("; ", problems.subList(0, Math.min(5, problems.size())))
              + (problems.size() > 5 ? " (and " + (problems.size() - 5) + " more)" : ""), model, version, null);
    }
  }
}
