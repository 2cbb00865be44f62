package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.core.testkit.ChildJvm;
import dev.swell.core.testkit.Measure;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Assumptions;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Native memory stays flat over load/close cycles and over cancelled calls: each run in its own
 * child JVM with a fixed heap (so only native memory moves), the resident memory read at 13 points
 * or more, and the least-squares slope compared with a positive control that leaks the smallest
 * thing worth catching — one 64 KiB native tensor per cycle. The bound is a quarter of that
 * control's slope.
 */
class OnnxLoadCloseLeakTest {

  @TempDir Path dir;

  private record Run(double slopeKiBPerCycle, List<String> lines) {}

  private Run probe(String mode, int cycles, int every) throws Exception {
    Assumptions.assumeTrue(Files.exists(Path.of("/proc/self/status")), "needs /proc");
    try (ChildJvm.Running child = ChildJvm.builder(LeakProbe.class).jvmArg("-Xms256m", "-Xmx256m", "-XX:+AlwaysPreTouch")
        .args(mode, dir.toString(), Integer.toString(cycles), Integer.toString(every)).start(dir.resolve(mode + ".txt"))) {
      assertThat(child.process().waitFor(300, TimeUnit.SECONDS)).as(mode + " finished").isTrue();
      assertThat(child.process().exitValue()).as("%s exit; output:%n%s", mode, child.output()).isZero();
      List<double[]> points = new ArrayList<>();
      for (String l : child.lines()) {
        if (l.startsWith("reading ")) {
          String[] f = l.split(" ");
          points.add(new double[] {Double.parseDouble(f[1]), Double.parseDouble(f[2])});
        }
      }
      // the first third is warm-up (arenas, JIT, allocator caches): fit the rest
      List<double[]> fit = points.subList(points.size() / 3, points.size());
      double[] x = fit.stream().mapToDouble(p -> p[0]).toArray();
      double[] y = fit.stream().mapToDouble(p -> p[1]).toArray();
      System.out.printf("%s readings (cycle: KiB): %s%n", mode, points.stream()
          .map(p -> (long) p[0] + ":" + (long) p[1]).collect(java.util.stream.Collectors.joining(" ")));
      return new Run(Measure.slope(x, y), child.lines());
    }
  }

  @Test
  @DisplayName("load/close cycles and 10,000 cancelled calls leave native memory flat; a 64 KiB leak per cycle shows")
  void nativeMemoryIsFlat() throws Exception {
    Run control = probe("load-close-leak", 600, 30);
    Run clean = probe("load-close", 600, 30);
    Run cancel = probe("cancel", 10_000, 500);
    String openLine = clean.lines().stream().filter(l -> l.startsWith("open ")).findFirst().orElseThrow();
    System.out.printf("native memory slopes (KiB per cycle, fitted over the last two thirds of the readings): "
            + "load/close %.2f, 10,000 cancelled calls %.3f; positive control (one 64 KiB tensor leaked per cycle) "
            + "%.2f; %s; %s%n", clean.slopeKiBPerCycle(), cancel.slopeKiBPerCycle(), control.slopeKiBPerCycle(),
        openLine, cancel.lines().stream().filter(l -> l.startsWith("completed")).findFirst().orElse(""));
    assertThat(control.slopeKiBPerCycle()).as("the control's leak is visible").isGreaterThan(32);
    double bound = control.slopeKiBPerCycle() / 4;
    assertThat(clean.slopeKiBPerCycle()).as("load/close cycles, KiB per cycle").isLessThan(bound);
    assertThat(cancel.slopeKiBPerCycle()).as("cancelled calls, KiB per call").isLessThan(bound);
    assertThat(openLine).startsWith("open 0 0 0");
  }
}
