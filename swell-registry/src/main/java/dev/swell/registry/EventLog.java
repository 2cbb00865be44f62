package dev.swell.registry;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A model's {@code events.log}: one JSON event per line, appended under the model's lock, read
 * tolerantly; and the intent records ({@code .staging/UUID.publishing}) that let the next writer
 * log the event of a publish whose process died right after making its version visible.
 */
final class EventLog {

  /** The suffix of a publish's intent record in {@code .staging}. */
  static final String PUBLISHING = ".publishing";

  private static final Logger log = LoggerFactory.getLogger(EventLog.class);

  private EventLog() {}

  /** The readable events of a log, and what was skipped. */
  record Read(List<RegistryEvent> events, List<String> problems) {}

  /**
   * Reads a log: lines that do not parse or are not UTF-8 become problems naming the file and
   * line; events of unknown types (a newer Swell's) are skipped; a torn last line is ignored.
   */
  static Read read(Path file) {
    List<RegistryEvent> out = new ArrayList<>();
    List<String> problems = new ArrayList<>();
    byte[] bytes;
    try {
      bytes = Files.readAllBytes(file);
    } catch (NoSuchFileException e) {
      return new Read(out, problems);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file + ": " + e.getMessage(), e);
    }
    var utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    int start = 0;
    int lineNo = 1;
    int unknown = 0;
    for (int i = 0; i < bytes.length; i++) {
      if (bytes[i] != '\n') {
        continue;
      }
      int from = start;
      start = i + 1;
      int n = lineNo++;
      String line;
      try {
        line = utf8.decode(ByteBuffer.wrap(bytes, from, i - from)).toString();
      } catch (CharacterCodingException e) {
        problems.add(file + " line " + n + " is not valid UTF-8");
        continue;
      }
      if (line.isBlank()) {
        continue;
      }
      try {
        RegistryEvent e = RegistryJson.event(line);
        if (e == null) {
          unknown++;
        } else {
          out.add(e);
        }
      } catch (IOException e) {
        problems.add(file + " line " + n + " is damaged (" + e.getMessage().lines().findFirst().orElse("") + ")");
      }
    }
    if (unknown > 0) {
      log.info("{}: {} events of types this Swell does not know (written by a newer one) skipped", file, unknown);
    }
    return new Read(out, problems);
  }

  /**
   * Completes publishes whose process died between making the version visible and logging it:
   * their intent records name the version; a visible one gets its PUBLISHED event (once), a
   * missing one (killed before the rename) is simply forgotten. Call under the lock.
   */
  static void recoverInterruptedPublishes(Path modelDir, String model, Predicate<SemVer> visible, String actor)
      throws IOException {
    for (Path intent : pendingPublishes(modelDir)) {
      List<String> lines;
      try {
        lines = Files.readAllLines(intent, StandardCharsets.UTF_8);
      } catch (NoSuchFileException e) {
        continue;
      }
      if (lines.size() >= 2) {
        try {
          SemVer v = SemVer.parse(lines.get(0));
          if (visible.test(v) && read(modelDir.resolve("events.log")).events().stream()
              .noneMatch(e -> e.type() == RegistryEvent.Type.PUBLISHED && v.equals(e.version()))) {
            append(modelDir, List.of(new RegistryEvent(RegistryEvent.Type.PUBLISHED, model, v, null, null,
                Instant.parse(lines.get(1)), actor, null, "logged after its publisher was interrupted")));
            log.warn("model '{}' {}: its publisher died before logging it; logged its PUBLISHED event now", model, v);
          }
        } catch (RuntimeException e) {
          log.warn("dropping an unreadable publish intent {}: {}", intent, e.getMessage());
        }
      }
      Files.deleteIfExists(intent);
    }
  }

  /** The intent records of publishes in progress or interrupted. */
  static List<Path> pendingPublishes(Path modelDir) {
    Path staging = modelDir.resolve(".staging");
    List<Path> out = new ArrayList<>();
    if (Files.isDirectory(staging)) {
      try (DirectoryStream<Path> ds = Files.newDirectoryStream(staging, "*" + PUBLISHING)) {
        ds.forEach(out::add);
      } catch (IOException e) {
        throw new UncheckedIOException("cannot list " + staging + ": " + e.getMessage(), e);
      }
    }
    return out;
  }

  /**
   * Appends lines in one write, first cutting off a line a crashed writer left incomplete; a
   * write that cannot be made durable is cut off again and thrown. Call under the model's lock.
   */
  static void append(Path modelDir, List<RegistryEvent> events) throws IOException {
    java.io.ByteArrayOutputStream lines = new java.io.ByteArrayOutputStream();
    for (RegistryEvent e : events) {
      lines.write(RegistryJson.eventLine(e));
    }
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
      ByteBuffer buf = ByteBuffer.wrap(lines.toByteArray());
      long at = end;
      while (buf.hasRemaining()) {
        at += ch.write(buf, at);
      }
      try {
        ch.force(true);
      } catch (IOException e) {
        ch.truncate(end); // a line not known to be durable is not left for readers
        throw e;
      }
    }
  }

  /**
   * Replaces a file atomically and logs the event; if the event cannot be logged, the file is put
   * back as it was (or removed, if it was new) and the failure thrown: done and logged, or not done.
   */
  static void replaceLogged(Path modelDir, Path file, byte[] bytes, RegistryEvent event) throws IOException {
    byte[] before = Files.exists(file) ? Files.readAllBytes(file) : null;
    FsOps.writeAtomically(file, bytes);
    try {
      append(modelDir, List.of(event));
    } catch (IOException e) {
      if (before == null) {
        Files.delete(file);
      } else {
        FsOps.writeAtomically(file, before);
      }
      throw e;
    }
  }
}
