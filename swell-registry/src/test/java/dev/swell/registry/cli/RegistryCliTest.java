package dev.swell.registry.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class RegistryCliTest {

  @TempDir Path tmp;
  private Path root;
  private String out;
  private String err;

  @BeforeEach
  void setUp() {
    root = tmp.resolve("reg");
    assertThat(cli("init")).isZero(); // a registry is created explicitly, never by a mistyped --root
  }

  private int cli(String... args) {
    ByteArrayOutputStream o = new ByteArrayOutputStream();
    ByteArrayOutputStream e = new ByteArrayOutputStream();
    String[] all = new String[args.length + 2];
    all[0] = "--root";
    all[1] = root.toString();
    System.arraycopy(args, 0, all, 2, args.length);
    int code = RegistryCli.run(all, new PrintStream(o, true, StandardCharsets.UTF_8),
        new PrintStream(e, true, StandardCharsets.UTF_8));
    out = o.toString(StandardCharsets.UTF_8);
    err = e.toString(StandardCharsets.UTF_8);
    return code;
  }

  @Test
  @DisplayName("publish, list, show, promote, alias, rollback, log, diff, verify and gc from the command line")
  void fullCycle() throws Exception {
    Path model = Files.writeString(tmp.resolve("fraud.onnx"), "weights-1");
    assertThat(cli("publish", "fraud", model.toString(), "--bump", "minor", "--metric", "auc=0.90",
        "--tag", "team=risk", "--description", "first")).isZero();
    assertThat(out).contains("published fraud 0.1.0");
    Files.writeString(model, "weights-2");
    assertThat(cli("publish", "fraud", model.toString(), "--bump", "minor", "--parent-latest", "--metric", "auc=0.93")).isZero();
    assertThat(cli("list")).isZero();
    assertThat(out.strip()).isEqualTo("fraud");
    assertThat(cli("promote", "fraud", "0.1.0")).isZero();
    assertThat(out).contains("fraud production: (new) -> 0.1.0");
    assertThat(cli("alias", "fraud", "production", "0.2.0", "--expect", "0.1.0")).isZero();
    assertThat(cli("alias", "fraud", "production", "0.1.0", "--expect", "0.1.0")).isEqualTo(RegistryCli.FAILED);
    assertThat(err).contains("no longer points at 0.1.0");
    assertThat(cli("--json", "list", "fraud")).isZero();
    JsonNode list = new ObjectMapper().readTree(out);
    assertThat(list.path("versions").toString()).isEqualTo("[\"0.2.0\",\"0.1.0\"]");
    assertThat(list.path("aliases").path("production").asText()).isEqualTo("0.2.0");
    assertThat(cli("show", "fraud", "production")).isZero();
    assertThat(out).contains("fraud 0.2.0").contains("parent 0.1.0").contains("metric auc=0.93");
    assertThat(cli("--json", "show", "fraud", "latest")).isZero();
    assertThat(new ObjectMapper().readTree(out).path("files").get(0).path("size").asLong()).isEqualTo(9);
    assertThat(cli("rollback", "fraud", "production")).isZero();
    assertThat(out).contains("0.2.0 -> 0.1.0");
    assertThat(cli("diff", "fraud", "0.1.0", "0.2.0")).isZero();
    assertThat(out).contains("metric auc +0.03").contains("file changed fraud.onnx");
    assertThat(cli("log", "fraud")).isZero();
    assertThat(out.lines()).hasSize(5);
    assertThat(cli("--json", "log", "fraud")).isZero();
    assertThat(new ObjectMapper().readTree(out).size()).isEqualTo(5);
    assertThat(cli("verify")).isZero();
    assertThat(out).contains("ok: 2 versions verified");
    assertThat(cli("gc", "fraud", "--keep", "0", "--delete-ancestors")).isZero();
    assertThat(out).contains("deleted [0.2.0]");

    // damage the remaining version: verify fails with exit code 1
    Path file = root.resolve("models/fraud/versions/0.1.0/files/fraud.onnx");
    Files.writeString(file, "weights-X");
    assertThat(cli("verify", "fraud")).isEqualTo(RegistryCli.FAILED);
    assertThat(out).contains("DAMAGED").contains("SHA-256");
  }

  @Test
  @DisplayName("wrong command lines give exit code 2 and a clear message")
  void usageErrors() {
    assertThat(cli()).isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("no command given");
    assertThat(cli("frobnicate")).isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("unknown command 'frobnicate'");
    assertThat(cli("publish", "m")).isEqualTo(RegistryCli.USAGE);
    assertThat(cli("publish", "m", tmp.resolve("missing.onnx").toString(), "--bump", "minor")).isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("missing.onnx");
    assertThat(cli("publish", "../evil", "x")).isEqualTo(RegistryCli.USAGE);
    assertThat(cli("gc", "m")).isEqualTo(RegistryCli.USAGE);
    assertThat(err).contains("--keep");
    assertThat(cli("show", "nope", "latest")).isEqualTo(RegistryCli.FAILED);
    assertThat(cli("--help")).isZero();
    assertThat(out).contains("usage: swell-registry");
  }
}
