package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.core.testkit.ChildJvm;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** ServerMain as a shell user types it: help, typos, exit codes, run as {@code java -cp}. */
class ServerMainCliTest {

  @TempDir Path dir;

  private record Run(int exit, String output) {}

  private Run run(String... args) throws Exception {
    Path out = dir.resolve("out-" + System.nanoTime() + ".txt");
    try (ChildJvm.Running child = ChildJvm.builder(ServerMain.class).args(args).start(out)) {
      assertThat(child.process().waitFor(60, TimeUnit.SECONDS)).as("ServerMain returned").isTrue();
      return new Run(child.process().exitValue(), Files.readString(out));
    }
  }

  @Test
  void helpTyposAndMissingRegistries() throws Exception {
    Run help = run("--help");
    assertThat(help.exit()).isZero();
    assertThat(help.output()).startsWith("usage: ServerMain REGISTRY_DIR [PORT]");
    Run none = run();
    assertThat(none.exit()).isEqualTo(2);
    assertThat(none.output()).contains("usage:");
    Run typo = run(dir.resolve("regsitry").toString());
    assertThat(typo.exit()).as("a mistyped folder is refused, not created empty").isEqualTo(2);
    assertThat(typo.output()).contains("no folder").contains("swell-registry init");
    assertThat(dir.resolve("regsitry")).doesNotExist();
    Files.createDirectories(dir.resolve("empty"));
    assertThat(run(dir.resolve("empty").toString()).output()).contains("holds no registry");
    dev.swell.registry.FileModelRegistry.open(dir.resolve("registry"));
    Run port = run(dir.resolve("registry").toString(), "80a");
    assertThat(port.exit()).isEqualTo(2);
    assertThat(port.output()).contains("the port must be a number within [0, 65535], was '80a'");
    assertThat(run(dir.resolve("registry").toString(), "70000").output()).contains("was '70000'");
  }
}
