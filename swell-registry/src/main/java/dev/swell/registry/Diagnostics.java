package dev.swell.registry;

import dev.swell.api.spi.BackendProvider;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.ServiceLoader;
import java.util.stream.Stream;

/**
 * What a support request needs to know about this process and its registry, in one call: the
 * JVM, memory headroom, every backend on the class path (native library version, execution
 * providers and whether each is usable here, and why not), the registry folder's disk headroom
 * and size, and whether every version verifies. Used by {@code swell-registry doctor}.
 *
 * <pre>{@code
 * Map<String, Object> report = Diagnostics.collect(registry);   // JSON-friendly, ordered
 * }</pre>
 */
public final class Diagnostics {

  private Diagnostics() {}

  /**
   * Collects the report. Never throws for what it inspects: a part that cannot be read says why.
   *
   * @param registry the registry to inspect, or null for the process alone
   * @return sections {@code jvm}, {@code memory}, {@code backends}, {@code registry}
   */
  public static Map<String, Object> collect(FileModelRegistry registry) {
    Map<String, Object> out = new LinkedHashMap<>();
    Runtime rt = Runtime.getRuntime();
    Map<String, Object> jvm = new LinkedHashMap<>();
    jvm.put("version", System.getProperty("java.runtime.version", System.getProperty("java.version")));
    jvm.put("vendor", System.getProperty("java.vendor"));
    jvm.put("vm", System.getProperty("java.vm.name"));
    jvm.put("os", System.getProperty("os.name") + " " + System.getProperty("os.version") + " " + System.getProperty("os.arch"));
    jvm.put("processors", rt.availableProcessors());
    jvm.put("commandLineChars", ProcessHandle.current().info().commandLine().map(String::length).orElse(-1));
    out.put("jvm", jvm);

    Map<String, Object> memory = new LinkedHashMap<>();
    memory.put("heapMaxBytes", rt.maxMemory());
    memory.put("heapUsedBytes", rt.totalMemory() - rt.freeMemory());
    memory.put("nonHeapUsedBytes", ManagementFactory.getMemoryMXBean().getNonHeapMemoryUsage().getUsed());
    memory.put("systemAvailableBytes", meminfo("MemAvailable"));
    memory.put("processResidentBytes", status("VmRSS"));
    out.put("memory", memory);

    List<Map<String, Object>> backends = new ArrayList<>();
    try {
      for (BackendProvider p : ServiceLoader.load(BackendProvider.class)) {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("name", p.name());
        b.put("formats", new ArrayList<>(p.formats()));
        try {
          b.putAll(p.diagnostics());
        } catch (RuntimeException | LinkageError e) {
          b.put("available", false);
          b.put("why", e.toString());
        }
        backends.add(b);
      }
    } catch (java.util.ServiceConfigurationError e) {
      backends.add(Map.of("error", e.toString()));
    }
    out.put("backends", backends);

    if (registry != null) {
      Map<String, Object> reg = new LinkedHashMap<>();
      Path root = registry.root();
      reg.put("root", root.toString());
      try {
        FileStore store = Files.getFileStore(root);
        reg.put("fileSystem", store.type());
        reg.put("diskUsableBytes", store.getUsableSpace());
        reg.put("diskTotalBytes", store.getTotalSpace());
        reg.put("writable", Files.isWritable(root.resolve("models")));
      } catch (IOException e) {
        reg.put("disk", "unreadable: " + e.getMessage());
      }
      try {
        List<String> models = registry.models();
        int versions = 0;
        for (String m : models) {
          versions += registry.versions(m).size();
        }
        reg.put("models", models.size());
        reg.put("versions", versions);
        reg.put("sizeBytes", size(root.resolve("models")));
        List<String> problems = registry.verifyAll();
        reg.put("verifies", problems.isEmpty());
        reg.put("problems", problems);
      } catch (RuntimeException e) {
        reg.put("verifies", false);
        reg.put("problems", List.of(e.toString()));
      }
      out.put("registry", reg);
    }
    return out;
  }

  private static long size(Path dir) {
    try (Stream<Path> s = Files.walk(dir)) {
      return s.filter(Files::isRegularFile).mapToLong(p -> p.toFile().length()).sum();
    } catch (IOException | java.io.UncheckedIOException e) {
      return -1;
    }
  }

  /** A "Key: N kB" line of /proc/meminfo in bytes, or -1 where there is none (not Linux). */
  private static long meminfo(String key) {
    return procKb(Path.of("/proc/meminfo"), key);
  }

  private static long status(String key) {
    return procKb(Path.of("/proc/self/status"), key);
  }

  private static long procKb(Path file, String key) {
    try (Stream<String> lines = Files.lines(file)) {
      return lines.filter(l -> l.startsWith(key + ":")).findFirst()
          .map(l -> Long.parseLong(l.replaceAll("[^0-9]", "")) * 1024).orElse(-1L);
    } catch (IOException | RuntimeException e) {
      return -1;
    }
  }
}
