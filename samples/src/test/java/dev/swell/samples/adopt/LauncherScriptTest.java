package dev.swell.samples.adopt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The {@code swell-registry} launcher script as a shell user runs it: through a symbolic link on
 * the PATH, with the JDK named by {@code JAVA_HOME}, from the jar this build made, with the exit
 * codes the CLI promises.
 */
class LauncherScriptTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final Path SCRIPT = ROOT.resolve("swell-registry/bin/swell-registry");

  @TempDir Path work;

  record Run(int exit, String out) {}

  private Run sh(Map<String, String> env, String... command) throws Exception {
    Path bin = work.resolve("bin");
    Files.createDirectories(bin);
    Path link = bin.resolve("swell-registry");
    if (!Files.exists(link, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      Files.createSymbolicLink(link, SCRIPT);
    }
    ProcessBuilder pb = new ProcessBuilder(List.of("sh", "-c", String.join(" ", command)))
        .directory(work.toFile()).redirectErrorStream(true);
    pb.environment().put("PATH", bin + ":/usr/bin:/bin"); // no java on this PATH: JAVA_HOME must be used
    pb.environment().put("JAVA_HOME", System.getProperty("java.home"));
    pb.environment().remove("SWELL_REGISTRY");
    pb.environment().putAll(env);
    Process p = pb.start();
    assertThat(p.waitFor(60, TimeUnit.SECONDS)).as(String.join(" ", command)).isTrue();
    return new Run(p.exitValue(), new String(p.getInputStream().readAllBytes()));
  }

  @Test
  @DisplayName("swell-registry on the PATH: --version, a refused list, init, list, and a missing jar, with their exit codes")
  void asAShellUserTypesIt() throws Exception {
    assertThat(SCRIPT).isExecutable();
    Run version = sh(Map.of(), "swell-registry", "--version");
    assertThat(version.exit()).as(version.out()).isZero();
    assertThat(version.out()).contains(System.getProperty("swell.version", "0.1.0-SNAPSHOT"));

    Path root = work.resolve("models");
    Run list = sh(Map.of(), "swell-registry", "--root", root.toString(), "list");
    assertThat(list.exit()).as("a folder that is not a registry: " + list.out()).isEqualTo(1);
    assertThat(root).doesNotExist();

    Run init = sh(Map.of(), "swell-registry", "--root", root.toString(), "init");
    assertThat(init.exit()).as(init.out()).isZero();
    Run again = sh(Map.of("SWELL_REGISTRY_OPTS", "-Xmx64m -Dfile.encoding=UTF-8"), "swell-registry", "--root",
        root.toString(), "--json", "list");
    assertThat(again.exit()).as(again.out()).isZero();
    assertThat(again.out().strip()).startsWith("[");

    Run typo = sh(Map.of(), "swell-registry", "--root", root.toString(), "lst");
    assertThat(typo.exit()).as(typo.out()).isEqualTo(2);
    assertThat(typo.out()).contains("list");

    Run noJar = sh(Map.of("SWELL_REGISTRY_JAR", work.resolve("nowhere.jar").toString()), "swell-registry", "--version");
    assertThat(noJar.exit()).isEqualTo(2);
    assertThat(noJar.out()).contains("nowhere.jar").contains("SWELL_REGISTRY_JAR");
  }

  @Test
  @DisplayName("the launcher is a POSIX sh script: dash runs it too")
  void posix() throws IOException {
    List<String> lines = new ArrayList<>(Files.readAllLines(SCRIPT));
    assertThat(lines.get(0)).isEqualTo("#!/bin/sh");
    assertThat(String.join("\n", lines)).doesNotContain("[[").doesNotContain("readlink -f").doesNotContain("$(<");
  }
}
