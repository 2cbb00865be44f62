package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.IntegrityException;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.VersionSelector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

/** The registry as a hostile user (or a failing disk) treats it: each case was a bug. */
class HostileRegistryTest {

  @TempDir Path tmp;
  private Path root;
  private FileModelRegistry registry;

  @BeforeEach
  void open() {
    root = tmp.resolve("registry");
    registry = FileModelRegistry.open(root);
  }

  private Path file(String name, String content) throws IOException {
    Path f = tmp.resolve("src").resolve(name);
    Files.createDirectories(f.getParent());
    return Files.writeString(f, content);
  }

  private Manifest publish(String model, String version, String content) throws IOException {
    return registry.publish(PublishRequest.builder(model).file(file("model.onnx", content)).version(version).build());
  }

  private Path modelDir(String model) {
    return root.resolve("models").resolve(model);
  }

  /** Makes every event append fail as a full disk would: events.log becomes a folder. */
  private void breakEventLog(String model) throws IOException {
    Path log = modelDir(model).resolve("events.log");
    Files.move(log, log.resolveSibling("events.saved"));
    Files.createDirectory(log);
  }

  private void repairEventLog(String model) throws IOException {
    Path log = modelDir(model).resolve("events.log");
    Files.delete(log);
    Files.move(log.resolveSibling("events.saved"), log);
  }

  @Test
  @DisplayName("bug: a publish, promote, rollback, alias delete or gc whose event append failed was committed anyway")
  void failedEventAppendChangesNothing() throws Exception {
    publish("m", "1.0.0", "a");
    publish("m", "1.1.0", "b");
    publish("m", "1.2.0", "c");
    registry.promote("m", SemVer.parse("1.0.0"), "production");
    registry.promote("m", SemVer.parse("1.1.0"), "production");
    byte[] aliasesBefore = Files.readAllBytes(modelDir("m").resolve("aliases.json"));
    breakEventLog("m");

    assertThatThrownBy(() -> publish("m", "2.0.0", "d")).isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> registry.promote("m", SemVer.parse("1.2.0"), "staging")).isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> registry.rollback("m", "production")).isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> registry.deleteAlias("m", "production")).isInstanceOf(UncheckedIOException.class);
    assertThatThrownBy(() -> registry.gc("m", RetentionPolicy.keepLast(0))).isInstanceOf(UncheckedIOException.class);

    assertThat(registry.versions("m")).extracting(SemVer::toString).containsExactly("1.2.0", "1.1.0", "1.0.0");
    assertThat(Files.readAllBytes(modelDir("m").resolve("aliases.json"))).isEqualTo(aliasesBefore);
    repairEventLog("m");
    // nothing half-done is left in the way: the retried commands succeed
    assertThat(publish("m", "2.0.0", "d").version()).hasToString("2.0.0");
    assertThat(registry.gc("m", RetentionPolicy.keepLast(1))).extracting(SemVer::toString).containsExactly("1.2.0");
    assertThat(registry.rollback("m", "production")).hasToString("1.0.0");
    assertThat(registry.verifyAll()).isEmpty();
    assertThat(registry.events("m")).extracting(e -> e.type().name()).containsExactly("PUBLISHED", "PUBLISHED",
        "PUBLISHED", "ALIAS_MOVED", "ALIAS_MOVED", "PUBLISHED", "DELETED", "ROLLED_BACK");
  }

  @Test
  @DisplayName("bug: a file still being written during the copy was published as a torn prefix")
  void sourceChangingDuringCopyIsRefused() throws Exception {
    Path src = tmp.resolve("growing.onnx");
    Files.write(src, new byte[3 << 20]); // three copy buffers
    AtomicBoolean appended = new AtomicBoolean();
    PublishRequest request = PublishRequest.builder("m").file(src).version("1.0.0").progress((done, total) -> {
      if (done > 0 && done < total && appended.compareAndSet(false, true)) {
        try { // the writer goes on writing while the copy runs
          Files.write(src, new byte[1 << 20], StandardOpenOption.APPEND);
        } catch (IOException e) {
          throw new UncheckedIOException(e);
        }
      }
    }).build();
    assertThatThrownBy(() -> registry.publish(request)).isInstanceOf(SourceChangedException.class)
        .hasMessageContaining("changed while it was being published");
    assertThat(appended).isTrue();
    assertThat(registry.versions("m")).isEmpty();
    assertThat(registry.publish(PublishRequest.builder("m").file(src).version("1.0.0").build()).totalSize())
        .isEqualTo(4 << 20);
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("bug: a hand-damaged manifest with a fixed-up digest aborted verify of the whole registry")
  @CsvSource(delimiter = '|', value = {
      "dtype quaternion|\"dtype\" : \"float32\"|\"dtype\" : \"quaternion\"",
      "duplicate input names|\"name\" : \"y\"|\"name\" : \"x\"",
      "negative size|\"size\" : 1,|\"size\" : -1,",
      "formatVersion x|\"formatVersion\" : 1|\"formatVersion\" : \"x\"",
      "metric abc|\"auc\" : 0.9|\"auc\" : \"abc\"",
      "size beyond long|\"size\" : 1,|\"size\" : 99999999999999999999,",
      "parent itself|\"parent\" : null|\"parent\" : \"1.1.0\"",
      "duplicate key|\"format\" : \"onnx\"|\"format\" : \"onnx\", \"format\" : \"bin\""})
  void damagedManifestIsAnIntegrityProblem(String name, String from, String to) throws Exception {
    publish("other", "1.0.0", "fine");
    registry.publish(PublishRequest.builder("m").file(file("model.onnx", "w")).version("1.1.0").metric("auc", 0.9)
        .signature(dev.swell.api.Signature.of(List.of(dev.swell.api.TensorSpec.of("x", dev.swell.api.DType.FLOAT32, 1),
            dev.swell.api.TensorSpec.of("y", dev.swell.api.DType.FLOAT32, 1)), List.of(
            dev.swell.api.TensorSpec.of("z", dev.swell.api.DType.FLOAT32, 1)))).build());
    Path dir = modelDir("m").resolve("versions/1.1.0");
    String json = Files.readString(dir.resolve("manifest.json"));
    assertThat(json).as("the manifest holds the text to damage").contains(from);
    String damaged = json.replaceFirst(java.util.regex.Pattern.quote(from), java.util.regex.Matcher.quoteReplacement(to));
    Files.writeString(dir.resolve("manifest.json"), damaged);
    Files.writeString(dir.resolve("manifest.sha256"), FsOps.sha256(damaged.getBytes(StandardCharsets.UTF_8)) + "\n");
    FileModelRegistry fresh = FileModelRegistry.open(root);
    assertThatThrownBy(() -> fresh.verify("m", SemVer.parse("1.1.0"))).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("manifest.json is invalid");
    assertThatThrownBy(() -> fresh.resolve("m", VersionSelector.exact("1.1.0"))).isInstanceOf(IntegrityException.class);
    List<String> problems = fresh.verifyAll();
    assertThat(problems).hasSize(1).allMatch(p -> p.contains("m") && p.contains("1.1.0"));
    fresh.verify("other", SemVer.parse("1.0.0")); // and the rest was checked
  }

  @Test
  @DisplayName("bug: an aliases.json of a newer layout was rewritten as layout 1, losing its fields")
  void newerAliasLayoutIsNeverRewritten() throws Exception {
    publish("m", "1.0.0", "a");
    registry.promote("m", SemVer.parse("1.0.0"), "production");
    Path file = modelDir("m").resolve("aliases.json");
    String newer = Files.readString(file).replace("\"formatVersion\" : 1", "\"formatVersion\" : 2, \"weights\" : {}");
    Files.writeString(file, newer);
    FileModelRegistry fresh = FileModelRegistry.open(root);
    assertThatThrownBy(() -> fresh.promote("m", SemVer.parse("1.0.0"), "staging"))
        .hasMessageContaining("layout 2, newer than this Swell");
    assertThat(Files.readString(file)).isEqualTo(newer);
  }

  @Test
  @DisplayName("bug: a rollback stack whose top named a deleted version was stuck forever; aliases could not be deleted")
  void rollbackSkipsDeletedVersionsAndAliasesCanBeDeleted() throws Exception {
    for (String v : List.of("1.0.0", "1.1.0", "1.2.0")) {
      publish("m", v, v);
      registry.promote("m", SemVer.parse(v), "production");
    }
    // 1.1.0 deleted by hand (gc never deletes what a stack names)
    dev.swell.registry.FsOps.deleteRecursively(modelDir("m").resolve("versions/1.1.0"));
    assertThat(registry.rollback("m", "production")).hasToString("1.0.0");
    assertThatThrownBy(() -> registry.rollback("m", "production")).hasMessageContaining("no earlier target");
    assertThat(registry.deleteAlias("m", "production")).hasToString("1.0.0");
    assertThat(registry.aliases("m")).isEmpty();
    assertThatThrownBy(() -> registry.deleteAlias("m", "production")).isInstanceOf(ModelNotFoundException.class)
        .hasMessageContaining("there is no alias 'production'");
    assertThat(registry.events("m").get(registry.events("m").size() - 1).type()).isEqualTo(RegistryEvent.Type.ALIAS_DELETED);
  }

  @Test
  @DisplayName("bug: one bad line, an unknown event type or invalid UTF-8 in events.log broke log forever")
  void damagedEventLinesAreSkippedAndReported() throws Exception {
    publish("m", "1.0.0", "a");
    Path log = modelDir("m").resolve("events.log");
    Files.write(log, "{not json}\n".getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    Files.write(log, "{\"type\":\"QUANTUM_LEAP\",\"model\":\"m\",\"at\":\"2026-01-01T00:00:00Z\",\"actor\":\"future\"}\n"
        .getBytes(StandardCharsets.UTF_8), StandardOpenOption.APPEND);
    Files.write(log, new byte[] {'{', (byte) 0xC3, (byte) 0x28, '}', '\n'}, StandardOpenOption.APPEND);
    publish("m", "1.1.0", "b");
    assertThat(registry.events("m")).extracting(e -> e.version().toString()).containsExactly("1.0.0", "1.1.0");
    assertThat(registry.verifyAll()).hasSize(2)
        .anyMatch(p -> p.contains("events.log line 2 is damaged"))
        .anyMatch(p -> p.contains("events.log line 4 is not valid UTF-8"));
  }

  @Test
  @DisplayName("bug: a version published with no PUBLISHED event went unnoticed by verify")
  void versionWithoutEventIsReported() throws Exception {
    publish("m", "1.0.0", "a");
    publish("m", "1.1.0", "b");
    Path log = modelDir("m").resolve("events.log");
    List<String> lines = Files.readAllLines(log);
    Files.write(log, lines.subList(0, 1));
    assertThat(registry.verifyAll()).singleElement().asString().contains("1.1.0: no PUBLISHED event");
  }

  @Test
  @DisplayName("a publisher killed between the rename and the event: the next writer logs the event")
  void interruptedPublishIsCompletedByTheNextWriter() throws Exception {
    publish("m", "1.0.0", "a");
    publish("m", "1.1.0", "b");
    // the state a SIGKILL right after the rename leaves: the intent record, no event
    Path log = modelDir("m").resolve("events.log");
    Files.write(log, Files.readAllLines(log).subList(0, 1));
    Files.createDirectories(modelDir("m").resolve(".staging"));
    Files.writeString(modelDir("m").resolve(".staging/abc.publishing"), "1.1.0\n2026-12-01T00:00:00Z\n");
    assertThat(registry.verifyAll()).as("a publish in progress is not damage").isEmpty();
    registry.promote("m", SemVer.parse("1.0.0"), "production");
    assertThat(registry.events("m")).extracting(e -> e.type() + " " + e.version())
        .containsExactly("PUBLISHED 1.0.0", "PUBLISHED 1.1.0", "ALIAS_MOVED 1.0.0");
    assertThat(modelDir("m").resolve(".staging/abc.publishing")).doesNotExist();
    assertThat(registry.verifyAll()).isEmpty();
  }

  @Test
  @DisplayName("bug: failing commands on a mistyped model created model folders that list then showed")
  void mistypedModelsCreateNothing() throws Exception {
    publish("m", "1.0.0", "a");
    assertThatThrownBy(() -> registry.rollback("typo1", "production")).isInstanceOf(ModelNotFoundException.class);
    assertThatThrownBy(() -> registry.gc("typo2", RetentionPolicy.keepLast(1))).isInstanceOf(ModelNotFoundException.class);
    assertThatThrownBy(() -> registry.promote("typo3", SemVer.parse("1.0.0"), "production"))
        .isInstanceOf(ModelNotFoundException.class);
    assertThatThrownBy(() -> registry.promoteForced("typo4", SemVer.parse("1.0.0"), "production", "why"))
        .isInstanceOf(ModelNotFoundException.class);
    assertThatThrownBy(() -> registry.deleteAlias("typo5", "production")).isInstanceOf(ModelNotFoundException.class);
    assertThat(registry.models()).containsExactly("m");
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("bug: names colliding on case-insensitive or Windows file systems were accepted")
  @CsvSource({"Fraud, only in case", "CON, device name", "con.v2, device name", "LPT1, device name", "a., ends with '.'"})
  void collidingNamesAreRefused(String name, String why) throws Exception {
    publish("fraud", "1.0.0", "a");
    assertThatThrownBy(() -> publish(name, "1.0.0", "b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(why);
    assertThat(registry.models()).containsExactly("fraud");
  }

  @Test
  @DisplayName("bug: a 300-character pre-release failed only after the full copy; versions differing in case collided")
  void longAndCaseCollidingVersionsFailBeforeTheCopy() throws Exception {
    AtomicInteger progress = new AtomicInteger();
    String longVersion = "1.0.0-" + "a".repeat(300);
    assertThatThrownBy(() -> registry.publish(PublishRequest.builder("m").file(file("x.onnx", "x")).version(longVersion)
        .progress((d, t) -> progress.incrementAndGet()).build())).hasMessageContaining("306 characters");
    assertThat(progress).hasValue(0);
    publish("m", "1.0.0-rc1", "a");
    assertThatThrownBy(() -> publish("m", "1.0.0-RC1", "b")).hasMessageContaining("only in case");
    // the loser of a race for an explicit version learns it before copying anything
    assertThatThrownBy(() -> registry.publish(PublishRequest.builder("m").file(file("x.onnx", "x")).version("1.0.0-rc1")
        .progress((d, t) -> progress.incrementAndGet()).build())).hasMessageContaining("exists already");
    assertThat(progress).hasValue(0);
    try (Stream<Path> staging = Files.list(modelDir("m").resolve(".staging"))) {
      assertThat(staging).isEmpty();
    }
  }

  @Test
  @DisplayName("bug: a file dropped into a version's folder (say, ONNX external data) went unnoticed")
  void unlistedFilesAreRefused() throws Exception {
    publish("m", "1.0.0", "a");
    Files.writeString(modelDir("m").resolve("versions/1.0.0/files/weights.bin"), "evil");
    FileModelRegistry fresh = FileModelRegistry.open(root);
    assertThatThrownBy(() -> fresh.resolve("m", VersionSelector.exact("1.0.0"))).isInstanceOf(IntegrityException.class)
        .hasMessageContaining("files/weights.bin");
  }

  @Test
  @DisplayName("an artifact over the registry's size limit is refused before anything is copied")
  void artifactSizeLimit() throws Exception {
    FileModelRegistry limited = FileModelRegistry.builder(root).maxArtifactBytes(1000).build();
    AtomicInteger progress = new AtomicInteger();
    Path big = Files.write(tmp.resolve("big.onnx"), new byte[1001]);
    assertThatThrownBy(() -> limited.publish(PublishRequest.builder("m").file(big).version("1.0.0")
        .progress((d, t) -> progress.incrementAndGet()).build()))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("the artifact has 1001 bytes")
        .hasMessageContaining("at most 1000");
    assertThat(progress).hasValue(0);
    assertThat(limited.models()).isEmpty();
    limited.publish(PublishRequest.builder("m").file(Files.write(tmp.resolve("ok.onnx"), new byte[1000])).version("1.0.0").build());
  }
}
