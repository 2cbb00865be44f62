package dev.swell.onnx;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.Predictor;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import java.io.BufferedReader;
import java.io.File;
import java.io.InputStreamReader;
import java.io.PrintWriter;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.constraints.IntRange;
import net.jqwik.api.lifecycle.AfterContainer;
import net.jqwik.api.lifecycle.BeforeContainer;

/**
 * A version gives bit-identical outputs wherever and however often it is loaded: for random MLPs
 * and inputs, a first load, a reload after {@link Swell#unload}, a reload after closing, and a load
 * in another JVM process all agree.
 */
class VersionConsistencyPropertiesTest {

  private static Path dir;
  private static Swell swell;
  private static Process child;
  private static PrintWriter toChild;
  private static BufferedReader fromChild;

  @BeforeContainer
  static void start() throws Exception {
    dir = Files.createTempDirectory("swell-consistency");
    swell = Swell.builder().build();
    child = new ProcessBuilder(List.of(
        System.getProperty("java.home") + File.separator + "bin" + File.separator + "java",
        "-Dorg.slf4j.simpleLogger.defaultLogLevel=warn", "-cp", System.getProperty("java.class.path"),
        ConsistencyWorker.class.getName())).redirectError(ProcessBuilder.Redirect.INHERIT).start();
    toChild = new PrintWriter(child.getOutputStream(), true, StandardCharsets.UTF_8);
    fromChild = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8));
  }

  @AfterContainer
  static void stop() throws Exception {
    toChild.println();
    child.waitFor();
    swell.close();
  }

  @Property(tries = 40)
  void sameOutputsAcrossReloadsAndProcesses(@ForAll @IntRange(min = 1, max = 64) int in,
      @ForAll @IntRange(min = 1, max = 64) int hidden, @ForAll @IntRange(min = 1, max = 16) int out,
      @ForAll @IntRange(min = 1, max = 33) int rows, @ForAll long modelSeed, @ForAll long inputSeed)
      throws Exception {
    Path model = OnnxModels.mlp(dir, in, hidden, out, modelSeed);
    String first;
    try (Predictor p = swell.load(model)) {
      first = ConsistencyWorker.digest(p, in, rows, inputSeed);
      assertThat(ConsistencyWorker.digest(p, in, rows, inputSeed)).as("same session, again").isEqualTo(first);
      assertThat(swell.unload(p.model())).isEqualTo(1);
      assertThat(ConsistencyWorker.digest(p, in, rows, inputSeed)).as("after unload, loaded again on demand")
          .isEqualTo(first);
    }
    try (Predictor p = swell.load(model)) {
      assertThat(ConsistencyWorker.digest(p, in, rows, inputSeed)).as("after close and reload").isEqualTo(first);
    }
    toChild.println(model + " " + in + " " + rows + " " + inputSeed);
    assertThat(fromChild.readLine()).as("in another JVM process").isEqualTo(first);
  }
}
