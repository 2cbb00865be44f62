package dev.swell.registry;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An exclusive lock on one model, held across threads of this JVM (a {@link ReentrantLock}) and
 * across processes (an OS file lock on the model's {@code .lock} file). The OS releases a file
 * lock when its process dies, so a killed publisher never leaves the model locked.
 */
final class ModelLock implements AutoCloseable {

  /**
   * One in-process lock per lock file: Java file locks are held by the whole JVM, so threads of
   * one JVM must first exclude each other here.
   */
  private static final ConcurrentHashMap<Path, ReentrantLock> LOCAL = new ConcurrentHashMap<>();

  private final ReentrantLock local;
  private final FileChannel channel;
  private final FileLock fileLock;

  private ModelLock(ReentrantLock local, FileChannel channel, FileLock fileLock) {
    this.local = local;
    this.channel = channel;
    this.fileLock = fileLock;
  }

  static ModelLock acquire(Path lockFile) throws IOException {
    ReentrantLock local = LOCAL.computeIfAbsent(lockFile.toAbsolutePath().normalize(), p -> new ReentrantLock());
    local.lock();
    FileChannel ch = null;
    try {
      ch = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
      FileLock fl = ch.lock();
      return new ModelLock(local, ch, fl);
    } catch (IOException | RuntimeException e) {
      if (ch != null) {
        ch.close();
      }
      local.unlock();
      throw e;
    }
  }

  @Override
  public void close() throws IOException {
    try {
      fileLock.release();
      channel.close();
    } finally {
      local.unlock();
    }
  }
}
