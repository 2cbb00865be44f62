package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.registry.signing.SigningKeys;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.stream.Stream;
import org.apache.commons.compress.archivers.zip.ZipArchiveEntry;
import org.apache.commons.compress.archivers.zip.ZipArchiveOutputStream;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class RegistryArchiveTest {

  @TempDir Path tmp;

  private FileModelRegistry populated(Path root) throws IOException {
    FileModelRegistry r = FileModelRegistry.open(root);
    var key = SigningKeys.generate();
    for (String model : List.of("fraud", "churn", "ranker")) {
      for (int i = 0; i < 20; i++) {
        Path f = Files.writeString(tmp.resolve("src-" + model + i + ".onnx"), model + " weights " + i);
        PublishRequest.Builder b = PublishRequest.builder(model).file(f).version("1." + i + ".0").metric("auc", 0.8 + i / 100.0);
        if (i > 0) {
          b.parent(SemVer.parse("1." + (i - 1) + ".0"));
        }
        r.publish(b.build());
        if (i % 4 == 0) {
          r.promote(model, SemVer.parse("1." + i + ".0"), "production");
        }
      }
      r.rollback(model, "production");
      r.sign(model, SemVer.parse("1.19.0"), key);
      r.experiments().create(model, "canary", "{\"arms\": 2}", "created", "first");
    }
    return r;
  }

  @Test
  @DisplayName("export then import round-trips 3 models of 20 versions with aliases, history, events and experiments")
  void roundTrip() throws Exception {
    FileModelRegistry source = populated(tmp.resolve("a"));
    Path archive = tmp.resolve("backup.zip");
    RegistryArchive.Summary out = RegistryArchive.export(source, List.of(), archive);
    assertThat(out.models()).containsExactlyInAnyOrder("fraud", "churn", "ranker");
    FileModelRegistry target = FileModelRegistry.open(tmp.resolve("b"));
    RegistryArchive.Summary in = RegistryArchive.importInto(target, archive);
    assertThat(in.files()).isEqualTo(out.files());
    assertThat(in.bytes()).isEqualTo(out.bytes());
    assertThat(target.verifyAll()).isEmpty();
    for (String m : source.models()) {
      assertThat(target.versions(m)).isEqualTo(source.versions(m)).hasSize(20);
      for (SemVer v : source.versions(m)) {
        assertThat(target.manifest(m, v)).isEqualTo(source.manifest(m, v));
        assertThat(Files.readAllBytes(target.open(m, v).primaryFile())).isEqualTo(Files.readAllBytes(source.open(m, v).primaryFile()));
      }
      assertThat(target.aliases(m)).isEqualTo(source.aliases(m));
      assertThat(target.aliasHistory(m, "production")).isEqualTo(source.aliasHistory(m, "production")).hasSize(6);
      assertThat(target.events(m)).isEqualTo(source.events(m));
      assertThat(target.experiments().get(m, "canary")).isEqualTo(source.experiments().get(m, "canary"));
    }
    System.out.printf("registry archive: %d models, %d files, %d bytes round-tripped%n", in.models().size(), in.files(), in.bytes());
    // importing again is a conflict, and changes nothing
    assertThatThrownBy(() -> RegistryArchive.importInto(target, archive)).isInstanceOf(RegistryConflictException.class)
        .hasMessageContaining("exist in");
    assertNoImportLeftovers(tmp.resolve("b"));
  }

  /** A hostile archive: one model "m" with one file whose entry name is given. */
  private Path hostile(String entryName, boolean symlink, boolean duplicate, boolean listed, boolean tamper) throws IOException {
    Path zip = tmp.resolve("hostile-" + Math.abs((entryName + symlink + duplicate + listed + tamper).hashCode()) + ".zip");
    byte[] content = "evil".getBytes(StandardCharsets.UTF_8);
    String sha = HexFormat.of().formatHex(FsOps.sha256Digest().digest(content));
    try (ZipArchiveOutputStream out = new ZipArchiveOutputStream(Files.newOutputStream(zip))) {
      for (int i = 0; i < (duplicate ? 2 : 1); i++) {
        ZipArchiveEntry e = new ZipArchiveEntry(entryName);
        if (symlink) {
          e.setUnixMode(0120777);
        }
        out.putArchiveEntry(e);
        out.write(tamper ? "EVIL".getBytes(StandardCharsets.UTF_8) : content);
        out.closeArchiveEntry();
      }
      out.putArchiveEntry(new ZipArchiveEntry(RegistryArchive.MANIFEST));
      String entries = listed ? "{\"path\": \"" + entryName.replace("\\", "\\\\") + "\", \"size\": 4, \"sha256\": \"" + sha + "\"}" : "";
      out.write(("{\"formatVersion\": 1, \"models\": [\"m\"], \"entries\": [" + entries + "]}").getBytes(StandardCharsets.UTF_8));
      out.closeArchiveEntry();
    }
    return zip;
  }

  @ParameterizedTest(name = "{0}")
  @DisplayName("hostile archives are refused and leave the target unchanged")
  @ValueSource(strings = {"../../evil", "models/m/../../../evil", "/tmp/evil", "models\\m\\evil", "C:/evil",
      "models/other/evil", "models/m/./evil", "symlink", "duplicate", "unlisted", "tampered"})
  void hostileArchivesAreRefused(String kind) throws Exception {
    Path root = tmp.resolve("target");
    FileModelRegistry target = FileModelRegistry.open(root);
    String name = switch (kind) {
      case "symlink", "duplicate", "unlisted", "tampered" -> "models/m/versions/1.0.0/files/x.onnx";
      default -> kind;
    };
    Path zip = hostile(name, kind.equals("symlink"), kind.equals("duplicate"), !kind.equals("unlisted"), kind.equals("tampered"));
    assertThatThrownBy(() -> RegistryArchive.importInto(target, zip)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining(switch (kind) {
          case "symlink" -> "symbolic link";
          case "duplicate" -> "twice";
          case "unlisted" -> "not the ones its manifest lists";
          case "tampered" -> "SHA-256";
          case "models/other/evil" -> "outside the models the archive lists";
          case "models\\m\\evil" -> ""; // the zip reader turns it into models/m/evil: then unlisted
          default -> "refused";
        });
    assertThat(target.models()).isEmpty();
    assertNoImportLeftovers(root);
    try (Stream<Path> s = Files.walk(tmp)) {
      assertThat(s.filter(p -> p.getFileName().toString().equals("evil"))).isEmpty();
    }
    assertThat(Path.of("/tmp/evil")).doesNotExist();
  }

  private static void assertNoImportLeftovers(Path root) throws IOException {
    try (Stream<Path> s = Files.list(root)) {
      assertThat(s.map(p -> p.getFileName().toString())).noneMatch(n -> n.startsWith(".import-"));
    }
  }
}
