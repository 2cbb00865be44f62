package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Tag;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Four real JVMs publish 25 versions each and flip an alias, all at once, on one registry. */
@Tag("process")
class RegistryConcurrencyTest {

  @TempDir Path root;

  @Test
  @DisplayName("4 processes x 25 publishes: none lost, versions unique, alias history complete and ordered")
  void fourProcesses() throws Exception {
    FileModelRegistry.open(root);
    List<Process> workers = new ArrayList<>();
    for (int w = 0; w < 4; w++) {
      workers.add(ChildJvm.start(RegistryWorker.class, "publish", root.toString(), "w" + w, "25"));
    }
    List<String> reported = new ArrayList<>();
    for (Process p : workers) {
      try (BufferedReader out = new BufferedReader(new InputStreamReader(p.getInputStream(), StandardCharsets.UTF_8))) {
        out.lines().forEach(reported::add);
      }
      assertThat(p.waitFor(120, TimeUnit.SECONDS)).isTrue();
      assertThat(p.exitValue()).isZero();
    }
    FileModelRegistry registry = FileModelRegistry.open(root);
    List<SemVer> versions = registry.versions("shared");
    assertThat(reported).hasSize(100).doesNotHaveDuplicates();
    assertThat(versions).hasSize(100);
    Set<String> expected = new HashSet<>();
    for (int i = 1; i <= 100; i++) {
      expected.add("0.0." + i);
    }
    assertThat(versions).extracting(SemVer::toString).containsExactlyInAnyOrderElementsOf(expected);
    assertThat(new HashSet<>(reported)).isEqualTo(expected);
    // each version's parent is the one published just before it, whoever published it
    for (SemVer v : versions) {
      Manifest m = registry.manifest("shared", v);
      assertThat(m.parent() == null ? "none" : m.parent().toString())
          .isEqualTo(v.patch() == 1 ? "none" : "0.0." + (v.patch() - 1));
    }
    assertThat(registry.find("shared", Filters.tag("worker", "w2"))).hasSize(25);
    List<AliasMove> history = registry.aliasHistory("shared", "production");
    assertThat(history).hasSize(100);
    for (int i = 1; i < history.size(); i++) {
      assertThat(history.get(i).from()).as("move %d starts where move %d ended", i, i - 1)
          .isEqualTo(history.get(i - 1).to());
      assertThat(history.get(i).at()).isAfterOrEqualTo(history.get(i - 1).at());
    }
    assertThat(registry.alias("shared", "production")).contains(history.get(99).to());
    List<RegistryEvent> events = registry.events("shared");
    assertThat(events).filteredOn(e -> e.type() == RegistryEvent.Type.PUBLISHED).hasSize(100);
    assertThat(events).filteredOn(e -> e.type() == RegistryEvent.Type.ALIAS_MOVED).hasSize(100);
    assertThat(registry.verifyAll()).isEmpty();
  }

  @Test
  @DisplayName("a watcher in this process hears of versions published by another process")
  void watcherSeesOtherProcess() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(root);
    List<RegistryEvent> heard = new java.util.concurrent.CopyOnWriteArrayList<>();
    try (RegistryWatcher w = registry.watch(heard::add, java.time.Duration.ofMillis(50))) {
      Process p = ChildJvm.start(RegistryWorker.class, "publish", root.toString(), "other", "3");
      assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
      FileModelRegistryTest.waitFor(() -> heard.stream().filter(e -> e.type() == RegistryEvent.Type.PUBLISHED).count() == 3
          && heard.stream().anyMatch(e -> e.type() == RegistryEvent.Type.ALIAS_MOVED
              && e.version().toString().equals("0.0.3")), 10);
    }
    assertThat(heard).filteredOn(e -> e.type() == RegistryEvent.Type.PUBLISHED)
        .extracting(e -> e.actor()).containsOnly("other");
  }
}
