package dev.swell.registry;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.function.Function;

/** What a {@link RetentionPolicy} deletes; the deletion itself is the registry's transaction. */
final class Retention {

  private Retention() {}

  /**
   * The versions to delete: all but the newest {@code keepLast}, every alias target and
   * rollback-stack entry, and (unless the policy deletes ancestors) their ancestors.
   *
   * @param all the versions, newest first
   * @param aliases the model's aliases
   * @param policy what to keep
   * @param ancestors a version's ancestors (empty for a version that is gone)
   * @return the versions to delete, newest first
   */
  static List<SemVer> victims(List<SemVer> all, Collection<AliasBook.Entry> aliases, RetentionPolicy policy,
      Function<SemVer, List<SemVer>> ancestors) {
    Set<SemVer> keep = new HashSet<>(all.subList(0, Math.min(policy.keepLast(), all.size())));
    Set<SemVer> pinned = new HashSet<>();
    for (AliasBook.Entry e : aliases) {
      pinned.add(e.target());
      pinned.addAll(e.stack());
    }
    keep.addAll(pinned);
    if (!policy.deleteAncestors()) {
      for (SemVer v : pinned) {
        keep.addAll(ancestors.apply(v));
      }
    }
    List<SemVer> out = new ArrayList<>();
    for (SemVer v : all) {
      if (!keep.contains(v)) {
        out.add(v);
      }
    }
    return out;
  }

  /** Deletes what killed publishers left in {@code .staging} (copies, intent records) older than {@code maxAge}. */
  static void removeAbandonedStaging(Path modelDir, Instant now, Duration maxAge) throws IOException {
    Path staging = modelDir.resolve(".staging");
    if (!Files.isDirectory(staging)) {
      return;
    }
    Instant cutoff = now.minus(maxAge);
    try (DirectoryStream<Path> dirs = Files.newDirectoryStream(staging)) {
      for (Path d : dirs) {
        if (maxAge.isZero() || Files.getLastModifiedTime(d).toInstant().isBefore(cutoff)) {
          FsOps.deleteRecursively(d);
        }
      }
    }
  }
}
