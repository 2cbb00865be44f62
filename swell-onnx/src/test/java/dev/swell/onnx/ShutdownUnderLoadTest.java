package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import dev.swell.core.testkit.ChildJvm;
import dev.swell.onnx.testing.MiniLm;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.api.io.TempDir;

/**
 * A JVM serving MiniLM under 4 threads of load is stopped mid-request — by SIGTERM, or by
 * {@code System.exit} — over and over: it never dies of SIGSEGV and writes no hs_err file. With a
 * host that drains (stop accepting, finish accepted requests, close Swell) every request it
 * started completes or fails with a typed exception, including the requests run after ONNX
 * Runtime's own shutdown hook released its environment (before Swell kept a reference to it,
 * those crashed the JVM 5 times out of 5).
 */
class ShutdownUnderLoadTest {

  @TempDir Path dir;

  @ParameterizedTest(name = "{0} host, {1}, {2} times")
  @CsvSource({"drain, signal, 20", "drain, exit, 20", "nohook, signal, 10"})
  void stoppingMidRequestNeverCrashes(String host, String trigger, int times) throws Exception {
    Path model = MiniLm.modelFile();
    SplittableRandom random = new SplittableRandom(9);
    int completedDuringDrains = 0;
    int requests = 0;
    for (int run = 0; run < times; run++) {
      Path out = dir.resolve(host + "-" + trigger + "-" + run + ".txt");
      ChildJvm.Running child = ChildJvm.builder(ServingHost.class)
          .jvmArg("-XX:ErrorFile=" + dir.resolve("hs_err_" + run + "_%p.log"), "-Xshare:auto")
          .args(model.toString(), host, trigger).start(out);
      Process p = child.process();
      try (child) {
      if (trigger.equals("signal")) {
        await().atMost(Duration.ofSeconds(60)).pollInterval(Duration.ofMillis(5))
            .until(() -> !p.isAlive() || child.lines().stream().filter(l -> l.startsWith("ok ")).count() >= 4);
        assertThat(p.isAlive()).as("child serving; output:\n%s", child.output()).isTrue();
        TimeUnit.MICROSECONDS.sleep(random.nextInt(20_000)); // a random moment: 4 workers are always mid-request
        p.destroy(); // SIGTERM
      }
      assertThat(p.waitFor(90, TimeUnit.SECONDS)).as("child exited").isTrue();
      String output = child.output();
      int expectedExit = trigger.equals("signal") ? 143 : 0;
      assertThat(output).as("run %d", run).doesNotContain("SIGSEGV", "fatal error", "hs_err");
      assertThat(hsErrFiles()).as("hs_err files").isEmpty();
      assertThat(p.exitValue()).as("exit code of run %d; output:\n%s", run, output).isEqualTo(expectedExit);
      List<String> lines = child.lines();
      assertThat(lines).as("run %d", run).noneMatch(l -> l.startsWith("untyped "));
      if (host.equals("drain")) {
        Set<String> started = new HashSet<>();
        Set<String> answered = new HashSet<>();
        for (String l : lines) {
          String[] f = l.split(" ");
          if (f[0].equals("start")) {
            started.add(f[1]);
          } else if (f[0].equals("ok") || f[0].equals("fail")) {
            answered.add(f[1]);
          } else if (f[0].equals("drained")) {
            completedDuringDrains += Integer.parseInt(f[1]);
          }
        }
        assertThat(answered).as("every started request answered in run %d", run).isEqualTo(started);
        assertThat(lines).as("the host drained").anyMatch(l -> l.startsWith("drained "));
        requests += started.size();
      }
      }
    }
    System.out.printf("%s host, %s x%d: no crash; %d requests, %d completed after shutdown began%n",
        host, trigger, times, requests, completedDuringDrains);
  }

  private List<Path> hsErrFiles() throws IOException {
    try (Stream<Path> files = Files.list(dir)) {
      return files.filter(f -> f.getFileName().toString().startsWith("hs_err")).toList();
    }
  }
}
