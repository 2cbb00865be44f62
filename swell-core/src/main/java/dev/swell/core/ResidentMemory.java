package dev.swell.core;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * The process's resident memory, read from {@code /proc/self/statm} (Linux; -1 elsewhere), and a
 * way to give freed native memory back to the operating system: the JVM's
 * {@code System.trim_native_heap} diagnostic command (glibc's {@code malloc_trim}), without which
 * a closed session's memory stays in the allocator's free lists and the process never shrinks.
 */
final class ResidentMemory {

  private static final Path STATM = Path.of("/proc/self/statm");
  private static final long PAGE = 4096;

  private ResidentMemory() {}

  private static volatile boolean trimWorks = true;

  /** Returns freed native memory to the OS where the JVM can (JDK 17.0.9 and later, glibc). */
  static void trim() {
    if (!trimWorks) {
      return;
    }
    try {
      javax.management.MBeanServer server = java.lang.management.ManagementFactory.getPlatformMBeanServer();
      server.invoke(new javax.management.ObjectName("com.sun.management:type=DiagnosticCommand"),
          "systemTrimNativeHeap", new Object[] {null}, new String[] {String[].class.getName()});
    } catch (javax.management.JMException | RuntimeException e) {
      trimWorks = false; // not on this JVM or platform
    }
  }

  private static final Path CLEAR_REFS = Path.of("/proc/self/clear_refs");
  private static final Path STATUS = Path.of("/proc/self/status");
  private static volatile boolean peakWorks = true;

  /**
   * Resets the kernel's record of the process's peak resident memory ({@code VmHWM}) to what is
   * resident now (Linux 4.0 and later); false where it cannot.
   */
  static boolean resetPeak() {
    if (!peakWorks) {
      return false;
    }
    try {
      Files.writeString(CLEAR_REFS, "5");
      return true;
    } catch (IOException | RuntimeException e) {
      peakWorks = false;
      return false;
    }
  }

  /** The peak resident memory since the last {@link #resetPeak()}, in bytes; -1 where unknown. */
  static long peakBytes() {
    if (!peakWorks) {
      return -1;
    }
    try {
      for (String line : Files.readAllLines(STATUS)) {
        if (line.startsWith("VmHWM:")) {
          return Long.parseLong(line.substring(6).trim().split("\\s+")[0]) * 1024;
        }
      }
      return -1;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }

  static long bytes() {
    try {
      String[] f = Files.readString(STATM).trim().split("\\s+");
      return Long.parseLong(f[1]) * PAGE;
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
