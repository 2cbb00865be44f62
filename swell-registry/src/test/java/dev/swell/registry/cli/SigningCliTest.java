package dev.swell.registry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** keygen, sign, verify --key, --trust and safe promote, as a shell user types them. */
class SigningCliTest {

  @TempDir Path tmp;
  private String out;
  private String err;

  private int cli(String... args) {
    CliRun run = CliRun.of(args);
    out = run.out();
    err = run.err();
    return run.code();
  }

  @Test
  @DisplayName("keygen, sign, verify --key and --trust: signed versions verify, others are refused with exit 1")
  void signAndVerify() throws Exception {
    String root = tmp.resolve("reg").toString();
    String key = tmp.resolve("keys/release").toString();
    assertThat(cli("keygen", "--out", key)).isZero();
    assertThat(out).contains("key hint ");
    assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(Path.of(key + ".pem")))).isEqualTo("rw-------");
    assertThat(cli("keygen", "--out", key)).as("never overwrites").isEqualTo(1);
    assertThat(err).contains("exists; keygen never overwrites a key");

    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("--root", root, "init")).isZero();
    assertThat(cli("--root", root, "publish", "fraud", model.toString(), "--version", "1.0.0")).isZero();
    assertThat(cli("--root", root, "publish", "fraud", model.toString(), "--version", "1.1.0")).isZero();
    assertThat(cli("--root", root, "sign", "fraud", "1.0.0", "--key", key + ".pem")).isZero();
    assertThat(out).contains("signed fraud 1.0.0 with key ");

    assertThat(cli("--root", root, "verify", "fraud", "1.0.0", "--key", key + ".pub.pem")).isZero();
    assertThat(out).contains("ok: 1 versions verified and signed by a trusted key");
    assertThat(cli("--root", root, "verify", "--key", key + ".pub.pem")).isEqualTo(1);
    assertThat(out).contains("REFUSED: model 'fraud' 1.1.0: signature refused (unsigned)");

    assertThat(cli("--root", root, "--trust", key + ".pub.pem", "promote", "fraud", "1.1.0")).isEqualTo(1);
    assertThat(err).contains("refusing to point an alias at it").contains("unsigned");
    assertThat(cli("--root", root, "--trust", key + ".pub.pem", "promote", "fraud", "1.0.0")).isZero();

    assertThat(cli("--root", root, "sign", "fraud", "1.1.0", "--key", key + ".pub.pem")).isEqualTo(2);
    assertThat(err).contains("holds a PUBLIC KEY, expected a PRIVATE KEY");
    assertThat(cli("keygen", "--out", tmp.resolve("other").toString())).isZero();
    assertThat(cli("--root", root, "sign", "fraud", "1.1.0", "--key", key + ".pem", "--public-key",
        tmp.resolve("other.pub.pem").toString())).isEqualTo(2);
    assertThat(err).contains("is not the public half of");
    assertThat(cli("--root", root, "sign", "fraud", "1.1.0")).isEqualTo(2);
    assertThat(err).contains("sign needs --key KEY.pem");
  }

  @Test
  @DisplayName("bug: promote moved the alias to a version whose bytes fail verify, and exited 0")
  void promoteOfADamagedVersionIsRefused() throws Exception {
    String root = tmp.resolve("reg").toString();
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("--root", root, "init")).isZero();
    assertThat(cli("--root", root, "publish", "fraud", model.toString(), "--version", "1.0.0")).isZero();
    assertThat(cli("--root", root, "promote", "fraud", "1.0.0")).isZero();
    assertThat(cli("--root", root, "publish", "fraud", model.toString(), "--version", "1.1.0")).isZero();
    Files.writeString(tmp.resolve("reg/models/fraud/versions/1.1.0/files/m.onnx"), "WEIGHTS");
    assertThat(cli("--root", root, "promote", "fraud", "1.1.0")).isEqualTo(1);
    assertThat(err).contains("error: model 'fraud' 1.1.0: refusing to point an alias at it")
        .contains("has SHA-256");
    assertThat(cli("--root", root, "alias", "fraud", "production", "1.1.0")).isEqualTo(1);
    assertThat(cli("--root", root, "list", "fraud")).isZero();
    assertThat(out).contains("1.0.0  <- production");
    assertThat(cli("--root", root, "promote", "fraud", "1.1.0", "--force", "testing the override")).isZero();
    assertThat(err).contains("warning: promoting fraud 1.1.0 without verifying it");
    assertThat(cli("--root", root, "promote", "fraud", "1.0.0", "--check")).as("no backend here").isEqualTo(1);
    assertThat(err).contains("no backend on the class path loads format 'onnx'");
    assertThat(cli("--root", root, "alias", "fraud", "production", "--delete")).isZero();
    assertThat(out).contains("fraud production: deleted (it pointed at 1.1.0)");
  }

  @Test
  @DisplayName("bug: a damaged manifest made verify of the whole registry a usage error (exit 2); typos create nothing")
  void verifyAndTypos() throws Exception {
    String root = tmp.resolve("reg").toString();
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("--root", root, "init")).isZero();
    assertThat(cli("--root", root, "publish", "fraud", model.toString(), "--version", "1.0.0")).isZero();
    assertThat(cli("--root", root, "publish", "churn", model.toString(), "--version", "1.0.0")).isZero();
    Path dir = tmp.resolve("reg/models/fraud/versions/1.0.0");
    String damaged = Files.readString(dir.resolve("manifest.json")).replace("\"size\" : 7", "\"size\" : -1");
    Files.writeString(dir.resolve("manifest.json"), damaged);
    Files.writeString(dir.resolve("manifest.sha256"), sha256(damaged) + "\n");
    assertThat(cli("--root", root, "verify")).isEqualTo(1);
    assertThat(out).contains("DAMAGED: model 'fraud' 1.0.0: manifest.json is invalid: size of m.onnx is -1")
        .contains("1 problems in 2 versions");
    assertThat(cli("--root", root, "doctor")).as("the registry does not verify").isEqualTo(1);
    assertThat(out).contains("verifies: false").contains("note: no backend on the class path");

    assertThat(cli("--root", root, "rollback", "typo1", "production")).isEqualTo(1);
    assertThat(err).contains("no such model");
    assertThat(cli("--root", root, "gc", "typo2", "--keep", "1")).isEqualTo(1);
    assertThat(cli("--root", root, "list")).isZero();
    assertThat(out.lines()).containsExactly("churn", "fraud");
    assertThat(cli("--root", root, "promte", "fraud", "1.0.0")).isEqualTo(2);
    assertThat(err).contains("unknown command 'promte'; did you mean 'promote'?");
    assertThat(cli("--root", root, "publish", "CON", model.toString(), "--version", "1.0.0")).isEqualTo(2);
    assertThat(err).contains("device name on Windows");
  }

  @Test
  @DisplayName("export and import from the command line; importing a hostile or conflicting archive exits 1 or 2")
  void exportImport() throws Exception {
    String a = tmp.resolve("a").toString();
    String b = tmp.resolve("b").toString();
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("--root", a, "init")).isZero();
    assertThat(cli("--root", a, "publish", "fraud", model.toString(), "--version", "1.0.0")).isZero();
    assertThat(cli("--root", a, "promote", "fraud", "1.0.0")).isZero();
    String zip = tmp.resolve("backup.zip").toString();
    assertThat(cli("--root", a, "export", zip)).isZero();
    assertThat(out).contains("exported [fraud] (");
    assertThat(cli("--root", b, "init")).isZero();
    assertThat(cli("--root", b, "import", zip)).isZero();
    assertThat(cli("--root", b, "list", "fraud")).isZero();
    assertThat(out).contains("1.0.0  <- production");
    assertThat(cli("--root", b, "import", zip)).isEqualTo(1);
    assertThat(err).contains("exist in");
    assertThat(cli("--root", b, "import", model.toString())).isNotZero();
    assertThat(cli("--root", a, "export", zip)).as("never overwrites").isEqualTo(3);
  }

  @Test
  @DisplayName("bug: a killed publish's staging copy stayed an hour with no way to clean it sooner")
  void stagingCanBeCleanedAtOnce() throws Exception {
    String root = tmp.resolve("reg").toString();
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("--root", root, "init")).isZero();
    assertThat(cli("--root", root, "publish", "fraud", model.toString(), "--version", "1.0.0")).isZero();
    Path abandoned = tmp.resolve("reg/models/fraud/.staging/3f1c/files");
    Files.createDirectories(abandoned);
    Files.write(abandoned.resolve("big.onnx"), new byte[1 << 20]);
    assertThat(cli("--root", root, "gc", "fraud", "--keep", "5")).isZero();
    assertThat(abandoned).as("younger than the default hour").exists();
    assertThat(cli("--root", root, "gc", "fraud", "--keep", "5", "--staging-max-age", "10x")).isEqualTo(2);
    assertThat(err).contains("--staging-max-age takes a duration such as 10m");
    assertThat(cli("--root", root, "gc", "fraud", "--keep", "5", "--staging-max-age", "0s")).isZero();
    assertThat(abandoned.getParent()).doesNotExist();
  }

  private static String sha256(String s) throws Exception {
    return java.util.HexFormat.of().formatHex(java.security.MessageDigest.getInstance("SHA-256")
        .digest(s.getBytes(StandardCharsets.UTF_8)));
  }
}
