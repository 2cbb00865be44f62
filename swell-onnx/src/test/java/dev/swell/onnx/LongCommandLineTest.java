package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.Predictor;
import dev.swell.core.Swell;
import dev.swell.core.testkit.ChildJvm;
import dev.swell.onnx.testing.OnnxModels;
import java.io.File;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM started with a long command line (a real service's class path, an IDE launch, a Spark
 * executor) loads and runs a model through Swell. ONNX Runtime 1.29.0 kills such a JVM with SIGSEGV
 * in {@code OrtEnvironment.getEnvironment()} once the command line passes about 4 KB; Surefire's
 * own forks have short command lines, so only a child JVM shows it.
 */
class LongCommandLineTest {

  @TempDir Path dir;

  @Test
  void aChildJvmWithAnEightKilobyteCommandLineLoadsAndRunsAModel() throws Exception {
    Path model = OnnxModels.mlp(dir, 16, 32, 4, 7);
    String expected;
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(model)) {
      expected = ConsistencyWorker.digest(p, 16, 3, 42);
    }
    StringBuilder cp = new StringBuilder(System.getProperty("java.class.path"));
    for (int i = 0; cp.length() < 6_000; i++) {
      // folders that do not exist, as a real class path of many jars would be long
      cp.append(File.pathSeparator).append(dir).append("/lib/some-dependency-of-a-real-service-")
          .append(i).append("-1.2.3.jar");
    }
    ChildJvm child = ChildJvm.builder(ConsistencyWorker.class).classPath(cp.toString())
        .jvmArg("-Dswell.test.padding=" + "x".repeat(3_000));
    int length = String.join(" ", child.command()).length();
    assertThat(length).as("command line length").isGreaterThanOrEqualTo(8_192);

    ChildJvm.Running running = child.start(dir.resolve("child.txt"));
    try (OutputStream in = running.process().getOutputStream()) {
      in.write((model + " 16 3 42\n\n").getBytes(StandardCharsets.UTF_8));
    }
    assertThat(running.process().waitFor(120, TimeUnit.SECONDS)).as("child exited").isTrue();
    assertThat(running.process().exitValue()).as("exit code; output:\n%s", running.output()).isZero();
    assertThat(running.lines()).as("outputs equal this JVM's").contains(expected);
    // on ONNX Runtime 1.29.0 the same child dies at load: exit 139, SIGSEGV, no hs_err
    System.out.printf("a command line of %,d characters (class path %,d): exit 0, outputs equal%n", length,
        cp.length());
  }
}
