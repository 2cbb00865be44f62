package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.DType;
import dev.swell.api.IntegrityException;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.Signature;
import dev.swell.api.TensorSpec;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelArtifact;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileModelRegistryTest {

  @TempDir Path tmp;
  private Path root;
  private FileModelRegistry registry;

  @BeforeEach
  void open() {
    root = tmp.resolve("registry");
    registry = FileModelRegistry.builder(root).actor("alice")
        .clock(Clock.fixed(Instant.parse("2026-11-24T10:00:00Z"), ZoneOffset.UTC)).build();
  }

  private Path file(String name, String content) throws IOException {
    Path f = tmp.resolve("src").resolve(name);
    Files.createDirectories(f.getParent());
    return Files.writeString(f, content);
  }

  private Manifest publish(String model, String version, String content) throws IOException {
    return registry.publish(PublishRequest.builder(model).file(file("model.onnx", content)).version(version).build());
  }

  @Test
  @DisplayName("publish writes an immutable version with a manifest of sizes, hashes and metadata")
  void publishAndRead() throws IOException {
    Signature sig = Signature.of(List.of(TensorSpec.of("x", DType.FLOAT32, -1, 16)),
        List.of(TensorSpec.of("y", DType.FLOAT32, -1, 4)));
    Manifest m = registry.publish(PublishRequest.builder("fraud")
        .file(file("model.onnx", "weights"))
        .file(file("vocab.txt", "a b c"), "extra/vocab.txt")
        .version("1.2.0").tag("team", "risk").metric("auc", 0.93).description("first")
        .signature(sig).build());
    assertThat(m.version()).isEqualTo(SemVer.parse("1.2.0"));
    assertThat(m.format()).isEqualTo("onnx");
    assertThat(m.primaryFile()).isEqualTo("model.onnx");
    assertThat(m.createdBy()).isEqualTo("alice");
    assertThat(m.createdAt()).isEqualTo(Instant.parse("2026-11-24T10:00:00Z"));
    assertThat(m.files()).extracting(FileEntry::path).containsExactly("model.onnx", "extra/vocab.txt");
    assertThat(m.files().get(0).size()).isEqualTo(7);
    // sha256sum of the 7 bytes "weights"
    assertThat(m.files().get(0).sha256()).isEqualTo("9a129038d9a00aed0cf6a7ea059ca50a813449061ab87848cf1a13eafdf33b2c");

    FileModelRegistry reopened = FileModelRegistry.open(root);
    Manifest read = reopened.manifest("fraud", SemVer.parse("1.2.0"));
    assertThat(read).isEqualTo(m);
    assertThat(read.signature()).isEqualTo(sig);
    ModelVersion v = reopened.open("fraud", SemVer.parse("1.2.0"));
    assertThat(Files.readString(v.primaryFile())).isEqualTo("weights");
    assertThat(Files.readString(v.file("extra/vocab.txt"))).isEqualTo("a b c");
    assertThat(reopened.models()).containsExactly("fraud");
    assertThatThrownBy(() -> publish("fraud", "1.2.0", "other"))
        .isInstanceOf(RegistryConflictException.class).hasMessageContaining("exists already");
    assertThat(Files.readString(reopened.open("fraud", SemVer.parse("1.2.0")).primaryFile())).isEqualTo("weights");
  }

  @Test
  @DisplayName("bumps count from the parent, or from the latest version, and skip taken numbers")
  void bumps() throws IOException {
    Path f = file("m.onnx", "x");
    Manifest first = registry.publish(PublishRequest.builder("m").file(f).bump(PublishRequest.Bump.MINOR).build());
    assertThat(first.version()).hasToString("0.1.0");
    Manifest second = registry.publish(PublishRequest.builder("m").file(f).bump(PublishRequest.Bump.PATCH)
        .parentIsLatest().build());
    assertThat(second.version()).hasToString("0.1.1");
    assertThat(second.parent()).hasToString("0.1.0");
    Manifest major = registry.publish(PublishRequest.builder("m").file(f).bump(PublishRequest.Bump.MAJOR).build());
    assertThat(major.version()).hasToString("1.0.0");
    // patch of 0.1.0 is taken (0.1.1): the next free patch
    Manifest branch = registry.publish(PublishRequest.builder("m").file(f).bump(PublishRequest.Bump.PATCH)
        .parent(SemVer.parse("0.1.0")).build());
    assertThat(branch.version()).hasToString("0.1.2");
    assertThat(registry.versions("m")).extracting(SemVer::toString)
        .containsExactly("1.0.0", "0.1.2", "0.1.1", "0.1.0");
    assertThatThrownBy(() -> registry.publish(PublishRequest.builder("m").file(f).bump(PublishRequest.Bump.PATCH)
        .parent(SemVer.parse("9.9.9")).build())).hasMessageContaining("parent version 9.9.9");
  }

  @Test
  @DisplayName("aliases move by compare-and-set, keep their history, and roll back step by step")
  void aliasesAndRollback() throws IOException {
    publish("fraud", "1.0.0", "a");
    publish("fraud", "1.1.0", "b");
    publish("fraud", "2.0.0-rc.1", "c");
    SemVer v1 = SemVer.parse("1.0.0");
    SemVer v11 = SemVer.parse("1.1.0");
    SemVer rc = SemVer.parse("2.0.0-rc.1");
    assertThat(registry.setAlias("fraud", v1, "production")).isNull();
    assertThat(registry.compareAndSetAlias("fraud", v11, rc, "production")).isFalse();
    assertThat(registry.compareAndSetAlias("fraud", v1, v11, "production")).isTrue();
    assertThat(registry.promote("fraud", rc, "production")).isEqualTo(v11);
    assertThat(registry.alias("fraud", "production")).contains(rc);
    assertThat(registry.rollback("fraud", "production")).isEqualTo(v11);
    assertThat(registry.rollback("fraud", "production")).isEqualTo(v1);
    assertThatThrownBy(() -> registry.rollback("fraud", "production"))
        .isInstanceOf(RegistryConflictException.class).hasMessageContaining("no earlier target");
    assertThat(registry.aliasHistory("fraud", "production")).extracting(AliasMove::action)
        .containsExactly("set", "set", "promote", "rollback", "rollback");
    assertThat(registry.aliasHistory("fraud", "production")).extracting(m -> m.to().toString())
        .containsExactly("1.0.0", "1.1.0", "2.0.0-rc.1", "1.1.0", "1.0.0");
    assertThatThrownBy(() -> registry.setAlias("fraud", SemVer.parse("3.0.0"), "production"))
        .isInstanceOf(ModelNotFoundException.class);
    assertThat(registry.compareAndSetAlias("fraud", null, rc, "staging")).isTrue();
    assertThat(registry.aliases("fraud")).containsOnlyKeys("production", "staging");

    List<RegistryEvent> events = FileModelRegistry.open(root).events("fraud");
    assertThat(events).extracting(RegistryEvent::type).containsExactly(
        RegistryEvent.Type.PUBLISHED, RegistryEvent.Type.PUBLISHED, RegistryEvent.Type.PUBLISHED,
        RegistryEvent.Type.ALIAS_MOVED, RegistryEvent.Type.ALIAS_MOVED, RegistryEvent.Type.ALIAS_MOVED,
        RegistryEvent.Type.ROLLED_BACK, RegistryEvent.Type.ROLLED_BACK, RegistryEvent.Type.ALIAS_MOVED);
    assertThat(events.get(0).actor()).isEqualTo("alice");
  }

  @Test
  @DisplayName("selectors resolve: exact, alias, latest, latest stable, ranges")
  void resolve() throws IOException {
    for (String v : List.of("1.0.0", "1.2.0", "1.10.1", "2.0.0-beta.1")) {
      publish("m", v, v);
    }
    registry.setAlias("m", SemVer.parse("1.2.0"), "production");
    assertThat(registry.resolveVersion("m", VersionSelector.latest())).hasToString("2.0.0-beta.1");
    assertThat(registry.resolveVersion("m", VersionSelector.latestStable())).hasToString("1.10.1");
    assertThat(registry.resolveVersion("m", VersionSelector.alias("production"))).hasToString("1.2.0");
    assertThat(registry.resolveVersion("m", VersionSelector.parse("~1.2.0"))).hasToString("1.2.0");
    assertThat(registry.resolveVersion("m", VersionSelector.parse("^1.0"))).hasToString("1.10.1");
    assertThat(registry.resolveVersion("m", VersionSelector.parse(">=1.0.0 <1.5.0"))).hasToString("1.2.0");
    assertThat(registry.resolveVersion("m", VersionSelector.exact("1.0.0"))).hasToString("1.0.0");
    ModelArtifact a = registry.resolve("m", VersionSelector.alias("production"));
    assertThat(a.version()).isEqualTo("1.2.0");
    assertThat(a.format()).isEqualTo("onnx");
    assertThat(Files.readString(a.file())).isEqualTo("1.2.0");
    assertThatThrownBy(() -> registry.resolve("m", VersionSelector.alias("canary")))
        .isInstanceOf(ModelNotFoundException.class).hasMessageContaining("alias canary");
    assertThatThrownBy(() -> registry.resolve("m", VersionSelector.parse("^3")))
        .isInstanceOf(ModelNotFoundException.class);
    assertThatThrownBy(() -> registry.resolve("nope", VersionSelector.latest()))
        .isInstanceOf(ModelNotFoundException.class).hasMessageContaining("nope");
  }

  @Test
  @DisplayName("queries: filters by tag and metric, lineage both ways, comparison of two versions")
  void queries() throws IOException {
    Path f = file("model.onnx", "a");
    registry.publish(PublishRequest.builder("m").file(f).version("1.0.0").metric("auc", 0.80).tag("data", "oct").build());
    registry.publish(PublishRequest.builder("m").file(file("model.onnx", "b")).version("1.1.0")
        .parent(SemVer.parse("1.0.0")).metric("auc", 0.85).metric("latency", 3).tag("data", "nov").build());
    registry.publish(PublishRequest.builder("m").file(file("model.onnx", "b")).file(file("extra.txt", "e"))
        .version("1.2.0").parent(SemVer.parse("1.1.0")).metric("auc", 0.91).tag("data", "nov").build());
    registry.publish(PublishRequest.builder("m").file(f).version("0.9.0").build());
    assertThat(registry.find("m", Filters.tag("data", "nov"))).extracting(mm -> mm.version().toString())
        .containsExactly("1.2.0", "1.1.0");
    assertThat(registry.find("m", Filters.metricAtLeast("auc", 0.85).and(Filters.tag("data", "nov"))))
        .hasSize(2);
    assertThat(registry.find("m", Filters.metricAtMost("auc", 0.8))).hasSize(1);
    assertThat(registry.ancestors("m", SemVer.parse("1.2.0"))).extracting(SemVer::toString)
        .containsExactly("1.1.0", "1.0.0");
    assertThat(registry.descendants("m", SemVer.parse("1.0.0"))).extracting(SemVer::toString)
        .containsExactly("1.2.0", "1.1.0");
    VersionDiff d = registry.compare("m", SemVer.parse("1.0.0"), SemVer.parse("1.2.0"));
    assertThat(d.metricDeltas().get("auc")).isCloseTo(0.11, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(d.tagChanges()).containsEntry("data", java.util.Arrays.asList("oct", "nov"));
    assertThat(d.changedFiles()).containsExactly("model.onnx");
    assertThat(d.addedFiles()).containsExactly("extra.txt");
    VersionDiff d2 = registry.compare("m", SemVer.parse("1.1.0"), SemVer.parse("1.0.0"));
    assertThat(d2.metricsOnlyInFrom()).containsExactly("latency");
  }

  @Test
  @DisplayName("gc keeps the newest, aliased and rollback versions and their ancestors")
  void garbageCollection() throws IOException {
    Path f = file("model.onnx", "x");
    SemVer prev = null;
    for (int i = 1; i <= 8; i++) {
      PublishRequest.Builder b = PublishRequest.builder("m").file(f).version("1." + i + ".0");
      if (i > 1) {
        b.parent(prev);
      }
      prev = registry.publish(b.build()).version();
    }
    registry.publish(PublishRequest.builder("m").file(f).version("0.1.0").build()); // unrelated root
    registry.setAlias("m", SemVer.parse("1.3.0"), "production");
    List<SemVer> deleted = registry.gc("m", RetentionPolicy.keepLast(2));
    assertThat(deleted).extracting(SemVer::toString).containsExactly("1.6.0", "1.5.0", "1.4.0", "0.1.0");
    assertThat(registry.versions("m")).extracting(SemVer::toString)
        .containsExactly("1.8.0", "1.7.0", "1.3.0", "1.2.0", "1.1.0");
    assertThat(registry.gc("m", RetentionPolicy.keepLast(0).deletingAncestors())).extracting(SemVer::toString)
        .containsExactly("1.8.0", "1.7.0", "1.2.0", "1.1.0");
    assertThat(registry.versions("m")).extracting(SemVer::toString).containsExactly("1.3.0");
    assertThat(registry.events("m")).filteredOn(e -> e.type() == RegistryEvent.Type.DELETED).hasSize(8);
    assertThat(registry.verifyAll()).isEmpty();
  }

  @Test
  @DisplayName("crafted names never reach outside the registry")
  void names() throws IOException {
    Path f = file("model.onnx", "x");
    for (String bad : List.of("..", ".", "../evil", "a/b", "a\\b", "", ".hidden", "x\u0000y", "tab\tname",
        "a".repeat(129), "ü")) {
      assertThatThrownBy(() -> PublishRequest.builder(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> registry.versions(bad)).as(bad).isInstanceOf(IllegalArgumentException.class);
    }
    publish("ok", "1.0.0", "x");
    for (String bad : List.of("../x", "latest", "1abc", "a b", "..")) {
      assertThatThrownBy(() -> registry.setAlias("ok", SemVer.parse("1.0.0"), bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    for (String bad : List.of("../escape.bin", "/abs.bin", "a/../b", "a//b")) {
      assertThatThrownBy(() -> PublishRequest.builder("ok").file(f, bad)).as(bad)
          .isInstanceOf(IllegalArgumentException.class);
    }
    assertThat(Files.list(tmp).map(p -> p.getFileName().toString())).containsOnly("registry", "src");
  }

  @Test
  @DisplayName("a damaged file is found on open, the cache is not fooled, verify re-hashes")
  void integrity() throws IOException {
    publish("m", "1.0.0", "precious weights");
    ModelVersion v = registry.open("m", SemVer.parse("1.0.0"));
    Files.writeString(v.primaryFile(), "precious weightz");
    assertThatThrownBy(() -> registry.verify("m", SemVer.parse("1.0.0")))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("SHA-256");
    assertThatThrownBy(() -> FileModelRegistry.open(root).open("m", SemVer.parse("1.0.0")))
        .isInstanceOf(IntegrityException.class);
    assertThatThrownBy(() -> registry.resolve("m", VersionSelector.latest())).isInstanceOf(IntegrityException.class);
    Files.writeString(v.primaryFile(), "short");
    assertThatThrownBy(() -> registry.open("m", SemVer.parse("1.0.0")))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("5 bytes");
    Files.delete(v.primaryFile());
    assertThatThrownBy(() -> registry.open("m", SemVer.parse("1.0.0")))
        .isInstanceOf(IntegrityException.class).hasMessageContaining("missing");
    assertThat(registry.verifyAll()).hasSize(1);
  }

  @Test
  @DisplayName("a torn last line of the event log is ignored by readers and cut off by the next writer")
  void tornEventLog() throws IOException {
    publish("m", "1.0.0", "x");
    Path log = root.resolve("models/m/events.log");
    Files.writeString(log, "{\"type\":\"PUBLI", java.nio.file.StandardOpenOption.APPEND);
    assertThat(registry.events("m")).hasSize(1);
    publish("m", "1.1.0", "y");
    assertThat(registry.events("m")).extracting(e -> e.version().toString()).containsExactly("1.0.0", "1.1.0");
    assertThat(Files.readString(log)).doesNotContain("PUBLI\"").endsWith("\n");
  }

  @Test
  @DisplayName("a registry of a newer layout is refused")
  void newerLayout() throws IOException {
    Files.writeString(root.resolve("registry.json"), "{\"formatVersion\": 99}");
    assertThatThrownBy(() -> FileModelRegistry.open(root)).isInstanceOf(RegistryFormatException.class)
        .hasMessageContaining("layout 99");
  }

  @Test
  @DisplayName("a watcher hears of versions and alias moves within its poll interval")
  void watchInProcess() throws Exception {
    List<RegistryEvent> heard = new CopyOnWriteArrayList<>();
    publish("m", "1.0.0", "a");
    try (RegistryWatcher w = registry.watch(heard::add, Duration.ofMillis(20))) {
      publish("m", "1.1.0", "b");
      registry.setAlias("m", SemVer.parse("1.1.0"), "production");
      registry.setAlias("m", SemVer.parse("1.0.0"), "production");
      waitFor(() -> heard.size() >= 2, 5);
      registry.rollback("m", "production");
      waitFor(() -> heard.stream().anyMatch(e -> e.type() == RegistryEvent.Type.ROLLED_BACK), 5);
    }
    assertThat(heard.get(0).type()).isEqualTo(RegistryEvent.Type.PUBLISHED);
    assertThat(heard.get(0).version()).hasToString("1.1.0");
    assertThat(heard).anyMatch(e -> e.type() == RegistryEvent.Type.ALIAS_MOVED && "production".equals(e.alias()));
    assertThat(heard).noneMatch(e -> e.version().toString().equals("1.0.0") && e.type() == RegistryEvent.Type.PUBLISHED);
  }

  @Test
  @DisplayName("file-system events trigger a scan long before the poll interval")
  void watchServiceWakesTheWatcher() throws Exception {
    org.junit.jupiter.api.Assumptions.assumeTrue(System.getProperty("os.name").toLowerCase().contains("linux"));
    publish("m", "1.0.0", "a");
    List<RegistryEvent> heard = new CopyOnWriteArrayList<>();
    try (RegistryWatcher w = registry.watch(heard::add, Duration.ofMinutes(10))) {
      long start = System.nanoTime();
      registry.setAlias("m", SemVer.parse("1.0.0"), "production");
      waitFor(() -> !heard.isEmpty(), 10);
      long ms = TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
      assertThat(ms).as("event delay with a 10-minute poll interval, ms").isLessThan(5000);
      publish("n", "1.0.0", "new model");
      waitFor(() -> heard.stream().anyMatch(e -> e.model().equals("n")), 10);
    }
  }

  static void waitFor(java.util.function.BooleanSupplier condition, int seconds) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(seconds);
    while (!condition.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("condition not met within " + seconds + " s");
      }
      Thread.sleep(10);
    }
  }
}
