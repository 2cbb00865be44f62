package dev.swell.abtest;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;

/**
 * The units a replica exposed, each once: an append-only file of 16-byte records (unit hash,
 * revision, variation) in the experiment's replicas folder, written at each save. It lets a
 * restarted replica remember which units it counted, and the deciding replica count every unit
 * once over all replicas (a unit served by two replicas is one unit). A record torn by a crash is
 * cut off when the file is next opened.
 */
final class ExposureLog {

  static final String SUFFIX = ".exposures";
  static final int RECORD = 16;

  private final Path file;
  private final UnitSet seen = new UnitSet();
  private final Object lock = new Object();
  private List<long[]> pending = new ArrayList<>(); // guarded by lock: {hash, revision, variation}
  private final Map<Long, long[]> units = new HashMap<>(); // guarded by lock: this replica's, by revision

  ExposureLog(Path file, int variations) {
    this.file = file;
    try {
      if (Files.exists(file)) {
        long size = Files.size(file);
        long whole = size - size % RECORD;
        if (whole != size) {
          try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            ch.truncate(whole);
          }
        }
        read(file, 0, (hash, revision, variation) -> {
          seen.add(hash);
          count(revision, variation, variations);
        });
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read the exposure log " + file, e);
    }
  }

  /** Counts a unit's first exposure here; true if it was new. */
  boolean expose(long unitHash, long revision, int variation, int variations) {
    if (!seen.add(unitHash)) {
      return false;
    }
    synchronized (lock) {
      pending.add(new long[] {unitHash, revision, variation});
      count(revision, variation, variations);
    }
    return true;
  }

  private void count(long revision, int variation, int variations) {
    long[] u = units.computeIfAbsent(revision, r -> new long[variations]);
    if (variation < u.length) {
      u[variation]++;
    }
  }

  /** This replica's units, by revision. */
  Exposures units() {
    synchronized (lock) {
      return new Exposures(units);
    }
  }

  /** Appends the new records and syncs the file. */
  void flush() {
    List<long[]> batch;
    synchronized (lock) {
      if (pending.isEmpty()) {
        return;
      }
      batch = pending;
      pending = new ArrayList<>();
    }
    ByteBuffer buf = ByteBuffer.allocate(batch.size() * RECORD).order(ByteOrder.LITTLE_ENDIAN);
    for (long[] r : batch) {
      buf.putLong(r[0]).putInt((int) r[1]).putInt((int) r[2]);
    }
    buf.flip();
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
        StandardOpenOption.APPEND)) {
      while (buf.hasRemaining()) {
        ch.write(buf);
      }
      ch.force(false);
    } catch (IOException e) {
      synchronized (lock) { // keep them for the next try
        batch.addAll(pending);
        pending = batch;
      }
      throw new UncheckedIOException("cannot append to the exposure log " + file, e);
    }
  }

  interface RecordSink {
    void accept(long hash, long revision, int variation);
  }

  /** Reads whole records from an offset; returns the offset after the last whole record. */
  static long read(Path file, long offset, RecordSink sink) throws IOException {
    try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
      long size = ch.size();
      long end = size - (size - offset) % RECORD;
      ByteBuffer buf = ByteBuffer.allocate(RECORD * 4096).order(ByteOrder.LITTLE_ENDIAN);
      long pos = offset;
      while (pos < end) {
        buf.clear();
        buf.limit((int) Math.min(buf.capacity(), end - pos));
        int n = ch.read(buf, pos);
        if (n <= 0) {
          break;
        }
        buf.flip();
        while (buf.remaining() >= RECORD) {
          sink.accept(buf.getLong(), buf.getInt(), buf.getInt());
          pos += RECORD;
        }
      }
      return pos;
    }
  }

  /**
   * The union of every replica's exposure log, counted once per unit, read incrementally: the
   * deciding replica keeps one and reads only what was appended since its last look.
   */
  static final class Union {
    private final Path dir;
    private final int variations;
    private final UnitSet seen = new UnitSet();
    private final Map<Path, Long> offsets = new HashMap<>();
    private final Map<Long, long[]> units = new HashMap<>();

    Union(Path dir, int variations) {
      this.dir = dir;
      this.variations = variations;
    }

    synchronized Exposures read() {
      try (Stream<Path> files = Files.list(dir)) {
        for (Path f : files.filter(p -> p.getFileName().toString().endsWith(SUFFIX)).sorted().toList()) {
          long from = offsets.getOrDefault(f, 0L);
          long to = ExposureLog.read(f, from, (hash, revision, variation) -> {
            if (seen.add(hash)) {
              long[] u = units.computeIfAbsent(revision, r -> new long[variations]);
              if (variation >= 0 && variation < variations) {
                u[variation]++;
              }
            }
          });
          offsets.put(f, to);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot read the exposure logs in " + dir, e);
      }
      return new Exposures(units);
    }
  }
}
