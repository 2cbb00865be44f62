package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.SwellException;
import dev.swell.api.VersionSelector;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.lifecycle.AfterContainer;

/**
 * Hostile registry content: random, truncated and mutated manifests (digest fixed up, so that the
 * parser sees them), alias files and event logs, and hostile names. Every case ends in a correct
 * result or a typed exception ({@link SwellException}, or for a name the API refuses
 * {@link IllegalArgumentException}); never another exception, never a file outside the root.
 */
class HostileContentPropertiesTest {

  private static final AtomicLong CASES = new AtomicLong();
  private static final List<String> HOSTILE_VALUES = List.of("-1", "1e400", "99999999999999999999", "\"x\"", "null",
      "[]", "{}", "\"../../outside/secret\"", "\"/etc/passwd\"", "\"\\u0000\"", "\"" + "a".repeat(5000) + "\"",
      "\"quaternion\"", "true", "0", "-9223372036854775808", "\"1.0.0\"", "\"\\u0430lias\"", "\"files/../../x\"");

  record Mutation(int field, String value, int truncateAt, boolean random) {}

  @Provide
  Arbitrary<Mutation> mutations() {
    return Combinators.combine(Arbitraries.integers().between(0, 40), Arbitraries.of(HOSTILE_VALUES),
        Arbitraries.integers().between(-1, 2000), Arbitraries.of(false, false, false, true)).as(Mutation::new);
  }

  /** Replaces the value of the field-th "key": value pair, or truncates, or writes random bytes. */
  static String mutate(String json, Mutation m, java.util.Random r) {
    if (m.random()) {
      byte[] b = new byte[r.nextInt(300)];
      r.nextBytes(b);
      return new String(b, StandardCharsets.ISO_8859_1);
    }
    if (m.truncateAt() >= 0 && m.truncateAt() < json.length() && m.field() % 5 == 0) {
      return json.substring(0, m.truncateAt());
    }
    java.util.regex.Matcher matcher = java.util.regex.Pattern.compile(":\\s*(\"[^\"]*\"|-?[0-9.eE+]+|null|true|false)")
        .matcher(json);
    int i = 0;
    while (matcher.find()) {
      if (i++ == m.field()) {
        return json.substring(0, matcher.start(1)) + m.value() + json.substring(matcher.end(1));
      }
    }
    return json;
  }

  private static Path world() throws IOException {
    Path outside = Files.createTempDirectory("hostile");
    Files.writeString(outside.resolve("secret"), "outside the root");
    return outside;
  }

  private static Map<String, Long> snapshotOutside(Path outside) throws IOException {
    Map<String, Long> files = new TreeMap<>();
    try (Stream<Path> s = Files.walk(outside)) {
      s.filter(p -> !p.startsWith(outside.resolve("root"))).forEach(p -> files.put(p.toString(), p.toFile().length()));
    }
    return files;
  }

  /** Runs every reader and writer the CLI exposes; each must succeed or fail typed. */
  private static void exercise(FileModelRegistry r) {
    List<Runnable> calls = List.of(
        () -> r.resolve("m", VersionSelector.alias("production")),
        () -> r.resolve("m", VersionSelector.latest()),
        () -> r.resolve("m", VersionSelector.parse("^1.0")),
        () -> r.verify("m", SemVer.parse("1.0.0")),
        () -> r.manifest("m", SemVer.parse("1.0.0")),
        () -> r.verifyAll(),
        () -> r.events("m"),
        () -> r.aliases("m"),
        () -> r.aliasHistory("m", "production"),
        () -> r.find("m", x -> true),
        () -> r.ancestors("m", SemVer.parse("1.0.0")),
        () -> r.promote("m", SemVer.parse("1.0.0"), "staging"),
        () -> r.rollback("m", "production"),
        () -> r.gc("m", RetentionPolicy.keepLast(5)));
    for (Runnable c : calls) {
      CASES.incrementAndGet();
      try {
        c.run();
      } catch (SwellException | IllegalStateException | UncheckedIOException typed) {
        // typed: a damaged version, a conflict, or an unreadable file named in the message
        assertThat(typed.getMessage()).isNotBlank();
      }
    }
  }

  private static FileModelRegistry seeded(Path outside) throws IOException {
    Path root = outside.resolve("root");
    FileModelRegistry r = FileModelRegistry.open(root);
    Path f = Files.writeString(outside.resolve("m.onnx"), "weights");
    r.publish(PublishRequest.builder("m").file(f).version("1.0.0").metric("auc", 0.9).tag("t", "v")
        .signature(dev.swell.api.Signature.of(List.of(dev.swell.api.TensorSpec.of("x", dev.swell.api.DType.FLOAT32, -1, 4)),
            List.of(dev.swell.api.TensorSpec.of("y", dev.swell.api.DType.FLOAT32, -1, 2)))).build());
    r.publish(PublishRequest.builder("m").file(f).version("1.1.0").parent(SemVer.parse("1.0.0")).build());
    r.promote("m", SemVer.parse("1.0.0"), "production");
    r.promote("m", SemVer.parse("1.1.0"), "production");
    return r;
  }

  @Property(tries = 300)
  void hostileManifests(@ForAll("mutations") Mutation m, @ForAll long seed) throws Exception {
    Path outside = world();
    try {
      seeded(outside);
      Map<String, Long> before = snapshotOutside(outside);
      Path dir = outside.resolve("root/models/m/versions/1.0.0");
      String damaged = mutate(Files.readString(dir.resolve("manifest.json")), m, new java.util.Random(seed));
      Files.writeString(dir.resolve("manifest.json"), damaged, StandardCharsets.ISO_8859_1);
      Files.writeString(dir.resolve("manifest.sha256"),
          FsOps.sha256(damaged.getBytes(StandardCharsets.ISO_8859_1)) + "\n");
      exercise(FileModelRegistry.open(outside.resolve("root")));
      assertThat(snapshotOutside(outside)).isEqualTo(before);
    } finally {
      FsOps.deleteRecursively(outside);
    }
  }

  @Property(tries = 200)
  void hostileAliasFilesAndEventLogs(@ForAll("mutations") Mutation m, @ForAll long seed) throws Exception {
    Path outside = world();
    try {
      seeded(outside);
      Map<String, Long> before = snapshotOutside(outside);
      Path aliases = outside.resolve("root/models/m/aliases.json");
      Files.writeString(aliases, mutate(Files.readString(aliases), m, new java.util.Random(seed)), StandardCharsets.ISO_8859_1);
      Path log = outside.resolve("root/models/m/events.log");
      byte[] garbage = new byte[new java.util.Random(seed).nextInt(200)];
      new java.util.Random(seed + 1).nextBytes(garbage);
      Files.write(log, garbage, java.nio.file.StandardOpenOption.APPEND);
      FileModelRegistry r = FileModelRegistry.open(outside.resolve("root"));
      CASES.incrementAndGet();
      r.events("m"); // never fails: damaged lines are skipped
      exercise(r);
      assertThat(snapshotOutside(outside)).isEqualTo(before);
    } finally {
      FsOps.deleteRecursively(outside);
    }
  }

  @Provide
  Arbitrary<String> names() {
    Arbitrary<String> pieces = Arbitraries.of("..", ".", "/", "\\", "a", "Z", "9", "-", "_", "\u0000", "\n", "\u202e",
        "\u0430", "\uff0f", "CON", "nul", " ", "%2e", "~", ":", "*", "😀", "\ud800");
    return pieces.list().ofMinSize(1).ofMaxSize(8).map(l -> String.join("", l));
  }

  @Property(tries = 500)
  void hostileNames(@ForAll("names") String name, @ForAll("names") String alias) throws Exception {
    Path outside = world();
    try {
      FileModelRegistry r = seeded(outside);
      Map<String, Long> before = snapshotOutside(outside);
      Path f = outside.resolve("m.onnx");
      for (Runnable c : List.<Runnable>of(
          () -> r.publish(PublishRequest.builder(name).file(f).version("1.0.0").build()),
          () -> r.resolve(name, VersionSelector.alias("production")),
          () -> r.promote("m", SemVer.parse("1.0.0"), alias),
          () -> r.resolve("m", VersionSelector.alias(alias)),
          () -> r.rollback(name, alias),
          () -> r.experiments().keys(name))) {
        CASES.incrementAndGet();
        try {
          c.run();
        } catch (SwellException | IllegalArgumentException | IllegalStateException typed) {
          assertThat(typed.getMessage()).isNotBlank();
        }
      }
      assertThat(snapshotOutside(outside)).isEqualTo(before);
      try (Stream<Path> models = Files.list(outside.resolve("root/models"))) {
        models.forEach(p -> assertThat(p.getFileName().toString()).matches("[A-Za-z0-9][A-Za-z0-9._-]*"));
      }
    } finally {
      FsOps.deleteRecursively(outside);
    }
  }

  @Property(tries = 50)
  void symlinksOutOfTheRootAreRefused(@ForAll boolean intoFiles) throws Exception {
    Path outside = world();
    try {
      FileModelRegistry r = seeded(outside);
      Path dir = outside.resolve("root/models/m/versions/1.0.0");
      Path link = intoFiles ? dir.resolve("files/m.onnx") : dir.resolve("files/extra");
      Files.deleteIfExists(link);
      // the same bytes as the real file: only the link itself can give it away
      Files.createSymbolicLink(link, Files.writeString(outside.resolve("lookalike.onnx"), "weights"));
      CASES.incrementAndGet();
      try {
        FileModelRegistry.open(outside.resolve("root")).verify("m", SemVer.parse("1.0.0"));
        throw new AssertionError("a symbolic link out of the root was served");
      } catch (SwellException expected) {
        assertThat(expected.getMessage()).contains("symbolic link");
      }
    } finally {
      FsOps.deleteRecursively(outside);
    }
  }

  @AfterContainer
  static void report() {
    System.out.println("hostile registry content: " + CASES.get() + " cases, 0 untyped failures, 0 escapes");
  }
}
