package dev.swell.registry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The CLI as a shell user types it: help per command, version, options anywhere, typos and missing things. */
class CliBehaviourTest {

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
  @DisplayName("--help, -h, COMMAND --help, help COMMAND and --version exit 0 and print to stdout; no command exits 2")
  void helpAndVersion() {
    assertThat(cli("--help")).isZero();
    assertThat(out).contains("commands:", "publish MODEL FILE", "init");
    assertThat(cli("-h")).isZero();
    assertThat(cli("publish", "--help")).isZero();
    assertThat(out).startsWith("usage: swell-registry").contains("publish MODEL FILE...", "--bump")
        .doesNotContain("rollback MODEL ALIAS");
    assertThat(cli("help", "gc")).isZero();
    assertThat(out).contains("gc MODEL --keep N", "--staging-max-age").doesNotContain("publish MODEL");
    assertThat(cli("gc", "-h")).isZero();
    assertThat(out).contains("gc MODEL --keep N");
    assertThat(cli("--version")).isZero();
    assertThat(out.strip()).matches("swell-registry \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    assertThat(cli()).isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("no command given");
    assertThat(cli("publsh", "--help")).isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("unknown command 'publsh'; did you mean 'publish'?");
  }

  @Test
  @DisplayName("bug: a mistyped --root created a registry silently; it fails with exit 1 and creates nothing; init creates")
  void noSilentRegistry() throws Exception {
    Path typo = tmp.resolve("srv/modles");
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("--root", typo.toString(), "publish", "fraud", model.toString(), "--version", "1.0.0"))
        .isEqualTo(RegistryCli.FAILED);
    assertThat(err).contains("is not a Swell registry", "init");
    assertThat(cli("--root", typo.toString(), "list")).isEqualTo(RegistryCli.FAILED);
    assertThat(tmp.resolve("srv")).doesNotExist();
    assertThat(cli("--root", typo.toString(), "init")).isZero();
    assertThat(out).contains("created an empty registry");
    assertThat(typo.resolve("registry.json")).exists();
    assertThat(cli("--root", typo.toString(), "init")).isZero();
    assertThat(out).contains("exists already");
    assertThat(cli("--root", typo.toString(), "init", "extra")).isEqualTo(RegistryCli.USAGE);
    assertThat(cli("--root", typo.toString(), "lst")).as("typos are usage errors before the registry is checked")
        .isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("did you mean 'list'?");
  }

  @Test
  @DisplayName("bug: list, log and verify of a missing model exited 0; they exit 1 naming the models, creating nothing")
  void missingModels() throws Exception {
    Path root = tmp.resolve("reg");
    assertThat(cli("--root", root.toString(), "init")).isZero();
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("--root", root.toString(), "publish", "fraud", model.toString(), "--version", "1.0.0")).isZero();
    for (String[] command : new String[][] {{"list", "fraude"}, {"log", "fraude"}, {"verify", "fraude"},
        {"show", "fraude", "latest"}}) {
      String[] args = new String[command.length + 2];
      args[0] = "--root";
      args[1] = root.toString();
      System.arraycopy(command, 0, args, 2, command.length);
      assertThat(cli(args)).as(String.join(" ", command)).isEqualTo(RegistryCli.FAILED);
      assertThat(err).as(String.join(" ", command)).contains("fraude").contains("fraud");
    }
    assertThat(root.resolve("models/fraude")).doesNotExist();
    assertThat(cli("--root", root.toString(), "list")).isZero();
    assertThat(out.strip()).isEqualTo("fraud");
  }

  @Test
  @DisplayName("--root, --json and --trust are accepted after the command too")
  void globalOptionsAnywhere() throws Exception {
    Path root = tmp.resolve("reg");
    assertThat(cli("init", "--root", root.toString())).isZero();
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights");
    assertThat(cli("publish", "fraud", model.toString(), "--version", "1.0.0", "--root", root.toString())).isZero();
    assertThat(cli("list", "fraud", "--json", "--root", root.toString())).isZero();
    assertThat(out).contains("\"versions\"", "\"1.0.0\"");
    assertThat(cli("publish", "fraud", model.toString(), "--bump", "huge", "--root", root.toString()))
        .isEqualTo(RegistryCli.USAGE);
    assertThat(err).as("the values an option takes, not a Java enum message").contains("major, minor or patch")
        .doesNotContain("enum constant");
    assertThat(cli("list", "--root")).isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("--root needs a folder");
  }

  @Test
  @DisplayName("gc --dry-run deletes nothing; delete refuses an aliased version; bug: a number freed by gc was given"
      + " again to the next publish")
  void deletionAndNumbers() throws Exception {
    Path root = tmp.resolve("reg");
    String r = root.toString();
    assertThat(cli("--root", r, "init")).isZero();
    Path model = Files.writeString(tmp.resolve("m.onnx"), "weights-1");
    assertThat(cli("--root", r, "publish", "fraud", model.toString(), "--bump", "minor")).isZero(); // 0.1.0
    Files.writeString(model, "weights-2");
    assertThat(cli("--root", r, "publish", "fraud", model.toString(), "--bump", "minor")).isZero(); // 0.2.0
    Files.writeString(model, "weights-3");
    assertThat(cli("--root", r, "publish", "fraud", model.toString(), "--bump", "minor")).isZero(); // 0.3.0
    assertThat(cli("--root", r, "promote", "fraud", "0.1.0")).isZero();

    // aliases, latest and ranges wherever a version is asked for
    assertThat(cli("--root", r, "diff", "fraud", "production", "latest")).isZero();
    assertThat(out).contains("file changed m.onnx");
    assertThat(cli("--root", r, "verify", "fraud", "^0.2")).isZero();
    assertThat(out).contains("ok: 1 versions verified");
    assertThat(cli("--root", r, "promote", "fraud", "nosuchalias", "--alias", "staging")).isEqualTo(RegistryCli.FAILED);
    assertThat(err).contains("nothing matches");
    assertThat(cli("--root", r, "gc", "fraud", "--keep", "1", "--dry-run")).isZero();
    assertThat(out.strip()).isEqualTo("would delete [0.2.0]");
    assertThat(cli("--root", r, "list", "fraud")).isZero();
    assertThat(out.lines()).hasSize(3);

    assertThat(cli("--root", r, "delete", "fraud", "0.1.0")).isEqualTo(RegistryCli.FAILED);
    assertThat(err).contains("alias 'production'");
    assertThat(cli("--root", r, "delete", "fraud", "0.9.0")).isEqualTo(RegistryCli.FAILED);
    assertThat(err).contains("nothing matches 0.9.0; versions: [0.3.0, 0.2.0, 0.1.0]");
    assertThat(cli("--root", r, "delete", "fraud", "0.3.0")).isZero();
    assertThat(out.strip()).isEqualTo("deleted fraud 0.3.0");
    assertThat(cli("--root", r, "log", "fraud")).isZero();
    assertThat(out).contains("deleted  0.3.0");

    // 0.3.0 is gone; the next minor bump from the latest existing version (0.2.0) must not reuse it
    Files.writeString(model, "weights-4");
    assertThat(cli("--root", r, "publish", "fraud", model.toString(), "--bump", "minor")).isZero();
    assertThat(out).contains("published fraud 0.4.0");
    assertThat(cli("--root", r, "publish", "fraud", model.toString(), "--version", "0.3.0"))
        .isEqualTo(RegistryCli.FAILED);
    assertThat(err).contains("never reused");
    assertThat(cli("--root", r, "gc", "fraud", "--keep", "1")).isZero();
    assertThat(out.strip()).isEqualTo("deleted [0.2.0]");
    assertThat(cli("--root", r, "verify")).isZero();
  }
}
