package dev.swell.registry;

import dev.swell.api.ModelNotFoundException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.attribute.BasicFileAttributes;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A registry's aliases: {@code aliases.json} per model (targets, rollback stacks, history), read
 * through a cache keyed by the file's identity, changed under the model's lock by one atomic
 * rename together with its logged event, or not at all.
 */
final class AliasStore {

  private static final Logger log = LoggerFactory.getLogger(FileModelRegistry.class);

  private final FileModelRegistry r;
  private final Clock clock;
  private final String actor;
  /** Parsed alias files by path, with the identity, time and size of the file parsed. */
  private final Map<Path, CachedAliases> aliasCache = new ConcurrentHashMap<>();

  AliasStore(FileModelRegistry r, Clock clock, String actor) {
    this.r = r;
    this.clock = clock;
    this.actor = actor;
  }

  private record CachedAliases(List<Object> stamp, AliasBook book) {}

  SemVer rollback(String model, String alias) {
    Names.alias(alias);
    return r.underLock(model, modelDir -> {
      AliasBook book = read(modelDir);
      AliasBook.Entry e = existingAlias(book, model, alias);
      List<SemVer> stack = new ArrayList<>(e.stack());
      SemVer back = null;
      List<SemVer> gone = new ArrayList<>();
      while (!stack.isEmpty() && back == null) {
        SemVer v = stack.remove(stack.size() - 1);
        if (Files.isDirectory(r.versionDir(model, v))) {
          back = v;
        } else {
          gone.add(v); // deleted since: skipped, so that a stack is never stuck on it
        }
      }
      if (back == null) {
        throw new RegistryConflictException("alias '" + alias + "' has no earlier target to roll back to"
            + (gone.isEmpty() ? "" : " (its earlier targets " + gone + " were deleted)"), model, null);
      }
      Instant now = clock.instant();
      List<AliasMove> history = new ArrayList<>(e.history());
      history.add(new AliasMove(alias, e.target(), back, now, actor, "rollback"));
      writeAliasesLogged(modelDir, book, alias, new AliasBook.Entry(back, stack, history),
          new RegistryEvent(RegistryEvent.Type.ROLLED_BACK, model, back, alias, e.target(), now, actor));
      log.info("rolled back alias '{}' of model '{}' from {} to {}{}", alias, model, e.target(), back,
          gone.isEmpty() ? "" : " (skipping deleted " + gone + ")");
      return back;
    });
  }

  SemVer delete(String model, String alias) {
    Names.alias(alias);
    return r.underLock(model, modelDir -> {
      AliasBook book = read(modelDir);
      AliasBook.Entry e = existingAlias(book, model, alias);
      writeAliasesLogged(modelDir, book, alias, null, new RegistryEvent(RegistryEvent.Type.ALIAS_DELETED, model,
          e.target(), alias, null, clock.instant(), actor));
      log.info("deleted alias '{}' of model '{}' (it pointed at {})", alias, model, e.target());
      return e.target();
    });
  }

  SemVer move(String model, String alias, SemVer expected, boolean cas, SemVer version, String action) {
    Names.alias(alias);
    Objects.requireNonNull(version, "version");
    return r.underLock(model, modelDir -> {
      if (!Files.isDirectory(r.versionDir(model, version))) {
        throw new ModelNotFoundException("version " + version + " does not exist; publish it first",
            model, version.toString());
      }
      AliasBook book = read(modelDir);
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
      writeAliasesLogged(modelDir, book, alias, new AliasBook.Entry(version, stack, history),
          new RegistryEvent(RegistryEvent.Type.ALIAS_MOVED, model, version, alias, current, now, actor));
      log.info("alias '{}' of model '{}' moved from {} to {} ({})", alias, model, current, version, action);
      return current;
    });
  }

  /** Thrown inside compare-and-set when the alias moved; never escapes. */
  static final class ConcurrentAliasChange extends RuntimeException {
    private static final long serialVersionUID = 1L;

    ConcurrentAliasChange() {
      super(null, null, false, false);
    }
  }

  private static AliasBook.Entry existingAlias(AliasBook book, String model, String alias) {
    AliasBook.Entry e = book.entries().get(alias);
    if (e == null) {
      throw new ModelNotFoundException("there is no alias '" + alias + "' (aliases: "
          + new TreeMap<>(book.entries()).keySet() + ")", model, null);
    }
    return e;
  }

  /**
   * Reads a model's aliases, from the cache when the file is the one read last time. Alias files
   * are only ever replaced by a rename, so a new file has a new identity (inode) even when its
   * size and time are equal to the old one's.
   */
  AliasBook read(Path modelDir) {
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

  /**
   * Replaces one alias entry (null deletes it) and logs the event; if the event cannot be logged,
   * the alias file is put back as it was and the failure is thrown: a move is either done and
   * logged, or not done.
   */
  private static void writeAliasesLogged(Path modelDir, AliasBook book, String alias, AliasBook.Entry entry,
      RegistryEvent event) throws IOException {
    Map<String, AliasBook.Entry> entries = new TreeMap<>(book.entries());
    if (entry == null) {
      entries.remove(alias);
    } else {
      entries.put(alias, entry);
    }
    EventLog.replaceLogged(modelDir, modelDir.resolve("aliases.json"), RegistryJson.aliases(new AliasBook(entries)),
        event);
  }
}
