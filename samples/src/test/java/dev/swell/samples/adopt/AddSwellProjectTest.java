package dev.swell.samples.adopt;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * What a new user does: a fresh Maven project, written from the README's "Add Swell to your
 * project" blocks and nothing else, resolves Swell from a local repository holding only the
 * artifacts this build just made (everything else comes from the build's own local repository,
 * chained behind it), compiles the README's {@code Main}, and runs it with {@code java -cp} on
 * a small ONNX model — with the GPU jar (the default) and with the CPU one.
 */
class AddSwellProjectTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent(); // samples/ is the working folder
  private static final String VERSION = System.getProperty("swell.version", "0.1.0-SNAPSHOT");
  private static final List<String> MODULES = List.of("swell-api", "swell-core", "swell-onnx", "swell-registry",
      "swell-abtest");

  @TempDir static Path work;
  static Path swellRepo;
  static Path model;
  static String expected;

  @BeforeAll
  static void repositoryAndModel() throws IOException {
    swellRepo = work.resolve("swell-repo");
    install("swell-parent", ROOT.resolve("pom.xml"), null);
    install("swell-bom", ROOT.resolve("swell-bom/pom.xml"), null);
    for (String m : MODULES) {
      Path jar = ROOT.resolve(m).resolve("target").resolve(m + "-" + VERSION + ".jar");
      assertThat(jar).as("built before the samples").exists();
      install(m, ROOT.resolve(m).resolve("pom.xml"), jar);
    }
    model = OnnxModels.mlp(work.resolve("model"), 4, 8, 2, 7);
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load(model)) {
      float[] y = p.predict(NamedTensors.of("x", Tensor.of(new float[] {0.1f, 3.2f, 0.0f, 1.5f}, 1, 4)))
          .output("y").toFloatArray();
      expected = Arrays.toString(y);
    }
  }

  /** Lays an artifact out as {@code mvn install} would. */
  private static void install(String artifact, Path pom, Path jar) throws IOException {
    Path dir = swellRepo.resolve("dev/swell").resolve(artifact).resolve(VERSION);
    Files.createDirectories(dir);
    Files.copy(pom, dir.resolve(artifact + "-" + VERSION + ".pom"));
    if (jar != null) {
      Files.copy(jar, dir.resolve(artifact + "-" + VERSION + ".jar"));
    }
  }

  @Test
  @DisplayName("the README's Add Swell section, as a new project: GPU jar (default), compiled and run with java -cp")
  void gpuJar() throws Exception {
    List<String> classPath = buildAndRun("gpu", pomBlock());
    assertThat(classPath).anyMatch(j -> j.endsWith("onnxruntime_gpu-1.28.0.jar"));
    assertThat(classPath).noneMatch(j -> j.endsWith("onnxruntime-1.28.0.jar"));
  }

  @Test
  @DisplayName("the README's Add Swell section with its CPU swap: the 54 MB jar instead of the GPU one")
  void cpuJar() throws Exception {
    String pom = pomBlock();
    String onnx = Pattern.compile("\\s*<dependency>\\s*<groupId>dev\\.swell</groupId>\\s*<artifactId>swell-onnx</artifactId>"
        + "\\s*</dependency>").matcher(pom).results().map(r -> r.group()).findFirst().orElseThrow();
    List<String> classPath = buildAndRun("cpu", pom.replace(onnx, "\n" + indent(block("cpu"), "  ")));
    assertThat(classPath).anyMatch(j -> j.endsWith("onnxruntime-1.28.0.jar"));
    assertThat(classPath).noneMatch(j -> j.contains("onnxruntime_gpu"));
  }

  @Test
  @DisplayName("the same on the module path: a named application module (README's module-info), the ONNX backend"
      + " found through the library's provides, and the registry's CLI run as a module")
  void modulePath() throws Exception {
    String readme = pomBlock();
    int last = readme.lastIndexOf("</dependencies>"); // the dependencies, after the BOM's import
    String pom = readme.substring(0, last) + """
          <dependency>
            <groupId>dev.swell</groupId>
            <artifactId>swell-registry</artifactId>
          </dependency>
        """ + readme.substring(last);
    Path project = work.resolve("modules");
    Path src = project.resolve("src/main/java");
    Files.createDirectories(src.resolve("com/example"));
    Files.writeString(src.resolve("module-info.java"), block("module"));
    Files.writeString(src.resolve("com/example/Main.java"), "package com.example;\n\n" + block("java"));
    List<String> jars = resolveAndCompile(project, "modules", pom);
    String modulePath = project.resolve("target/classes") + File.pathSeparator + String.join(File.pathSeparator, jars);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    // the application module requires dev.swell.core only: dev.swell.onnx is resolved as the
    // provider of the BackendProvider service that dev.swell.core uses
    Run main = run(List.of(java, "--module-path", modulePath, "--show-module-resolution",
        "-m", "com.example.fraud/com.example.Main", model.toString()), project, 120);
    assertThat(main.exit).as("java -p ... -m com.example.fraud/com.example.Main: " + main.output).isZero();
    assertThat(main.output).as("resolved as named modules, not from the class path")
        .contains("root com.example.fraud").containsPattern("binds dev\\.swell\\.onnx ")
        .doesNotContainPattern("dev\\.swell\\.[a-z]+ \\S+ automatic");
    assertOutput(main.output);

    Path root = work.resolve("module-registry");
    String cli = "dev.swell.registry/dev.swell.registry.cli.RegistryCli";
    Run init = run(List.of(java, "-p", modulePath, "-m", cli, "--root", root.toString(), "init"), project, 60);
    assertThat(init.exit).as(init.output).isZero();
    Run publish = run(List.of(java, "-p", modulePath, "-m", cli, "--root", root.toString(), "publish", "fraud",
        model.toString(), "--version", "1.0.0"), project, 60);
    assertThat(publish.exit).as(publish.output).isZero();
    Run list = run(List.of(java, "-p", modulePath, "-m", cli, "--root", root.toString(), "--json", "list", "fraud"),
        project, 60);
    assertThat(list.exit).as(list.output).isZero();
    assertThat(list.output).contains("\"1.0.0\"");
    Run verify = run(List.of(java, "-p", modulePath, "-m", cli, "--root", root.toString(), "verify", "fraud"),
        project, 60);
    assertThat(verify.exit).as(verify.output).isZero();
  }

  /** Writes the project, resolves and compiles it with Maven, runs Main; returns its class path. */
  private static List<String> buildAndRun(String name, String dependencies) throws Exception {
    Path project = work.resolve(name);
    Path src = project.resolve("src/main/java");
    Files.createDirectories(src);
    Files.writeString(src.resolve("Main.java"), block("java"));
    List<String> jars = resolveAndCompile(project, name, dependencies);
    String cp = String.join(File.pathSeparator, jars);
    String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
    Run main = run(List.of(java, "-cp", project.resolve("target/classes") + File.pathSeparator + cp, "Main",
        model.toString()), project, 120);
    assertThat(main.exit).as("java -cp ... Main: " + main.output).isZero();
    assertOutput(main.output);
    return jars;
  }

  private static void assertOutput(String output) {
    Matcher line = Pattern.compile("(?m)^(\\S+) (\\S+) -> (\\[.*\\])$").matcher(output);
    assertThat(line.find()).as(output).isTrue();
    assertThat(line.group(1)).isEqualTo("mlp-4-8-2-7");
    assertThat(line.group(3)).as("the same outputs as in this JVM").isEqualTo(expected);
  }

  /** Writes the pom, resolves and compiles the project with Maven; returns its dependencies' jars. */
  private static List<String> resolveAndCompile(Path project, String name, String dependencies) throws Exception {
    Files.writeString(project.resolve("pom.xml"), """
        <?xml version="1.0" encoding="UTF-8"?>
        <project xmlns="http://maven.apache.org/POM/4.0.0">
          <modelVersion>4.0.0</modelVersion>
          <groupId>com.example</groupId>
          <artifactId>fraud-service-%s</artifactId>
          <version>1.0</version>
          <properties>
            <maven.compiler.release>17</maven.compiler.release>
            <project.build.sourceEncoding>UTF-8</project.build.sourceEncoding>
          </properties>
        %s
          <build>
            <plugins>
              <plugin><artifactId>maven-resources-plugin</artifactId><version>3.5.0</version></plugin>
              <plugin><artifactId>maven-compiler-plugin</artifactId><version>3.14.1</version></plugin>
              <plugin><artifactId>maven-dependency-plugin</artifactId><version>3.9.0</version></plugin>
            </plugins>
          </build>
        </project>
        """.formatted(name, indent(dependencies, "  ")));
    Path cpFile = project.resolve("cp.txt");
    String outerRepo = System.getProperty("swell.localRepo",
        Path.of(System.getProperty("user.home"), ".m2", "repository").toString());
    List<String> mvn = new ArrayList<>(List.of(ROOT.resolve("mvnw").toString(), "-B", "-q", "-f",
        project.resolve("pom.xml").toString(), "-Dmaven.repo.local=" + swellRepo,
        "-Dmaven.repo.local.tail=" + outerRepo, "compile", "dependency:build-classpath",
        "-Dmdep.outputFile=" + cpFile));
    Run build = run(mvn, project, 600);
    assertThat(build.exit).as("mvn: " + build.output).isZero();
    String cp = Files.readString(cpFile).trim();
    List<String> jars = Arrays.asList(cp.split(File.pathSeparator));
    assertThat(jars).anyMatch(j -> j.contains(Path.of("swell-repo", "dev", "swell", "swell-core").toString()))
        .as("Swell itself came from the artifacts of this build");
    return jars;
  }

  private record Run(int exit, String output) {}

  private static Run run(List<String> command, Path dir, int seconds) throws Exception {
    Path log = Files.createTempFile(work, "run", ".log");
    Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true)
        .redirectOutput(log.toFile()).start();
    if (!p.waitFor(seconds, TimeUnit.SECONDS)) {
      p.destroyForcibly();
      throw new AssertionError(command + " did not finish within " + seconds + " s: " + Files.readString(log));
    }
    return new Run(p.exitValue(), Files.readString(log));
  }

  /** The README's pom block: the BOM import and the modules. */
  private static String pomBlock() throws IOException {
    return block("pom");
  }

  /** The code block after {@code <!-- add-swell:NAME -->} in the README. */
  static String block(String name) throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    Matcher m = Pattern.compile("<!-- add-swell:" + name + " -->\\s*```\\w*\\n(.*?)```", Pattern.DOTALL).matcher(readme);
    assertThat(m.find()).as("README block add-swell:" + name).isTrue();
    return m.group(1);
  }

  private static String indent(String text, String by) {
    return text.lines().map(l -> l.isEmpty() ? l : by + l).reduce((a, b) -> a + "\n" + b).orElse("");
  }
}
