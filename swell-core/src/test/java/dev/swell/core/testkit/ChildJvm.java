package dev.swell.core.testkit;

import java.io.File;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;

/**
 * Starts a real child JVM running a main class of the test class path, the way hosts run Swell:
 * with {@code java -cp}, its own command line, and signals that reach it. Output goes to a file,
 * so a test can read it while the child runs and after it died, without pipes that fill up.
 *
 * <pre>{@code
 * ChildJvm.Running child = ChildJvm.builder(Worker.class).jvmArg("-Xmx256m").args("a", "b")
 *     .start(dir.resolve("out.txt"));
 * Awaitility.await().until(() -> child.output().contains("ready"));
 * child.process().destroy();   // SIGTERM
 * }</pre>
 */
public final class ChildJvm {

  private final Class<?> mainClass;
  private final List<String> jvmArgs = new ArrayList<>();
  private final List<String> args = new ArrayList<>();
  private String classPath = System.getProperty("java.class.path");

  private ChildJvm(Class<?> mainClass) {
    this.mainClass = Objects.requireNonNull(mainClass, "mainClass");
  }

  /**
   * Starts describing a child that runs {@code mainClass}, with the test's own class path, a
   * 256 MiB heap and quiet SLF4J logging unless changed.
   *
   * @param mainClass a class with a {@code main} method on the test class path
   * @return the description
   */
  public static ChildJvm builder(Class<?> mainClass) {
    return new ChildJvm(mainClass);
  }

  /**
   * Adds JVM options, before the class name.
   *
   * @param options such as {@code -Dkey=value}
   * @return this
   */
  public ChildJvm jvmArg(String... options) {
    jvmArgs.addAll(List.of(options));
    return this;
  }

  /**
   * Adds program arguments, after the class name.
   *
   * @param arguments the arguments
   * @return this
   */
  public ChildJvm args(String... arguments) {
    args.addAll(List.of(arguments));
    return this;
  }

  /**
   * Replaces the class path (default: this JVM's {@code java.class.path}).
   *
   * @param path the class path
   * @return this
   */
  public ChildJvm classPath(String path) {
    this.classPath = Objects.requireNonNull(path, "path");
    return this;
  }

  /**
   * Returns the command line this description starts.
   *
   * @return the command, program first
   */
  public List<String> command() {
    List<String> cmd = new ArrayList<>();
    cmd.add(System.getProperty("java.home") + File.separator + "bin" + File.separator + "java");
    if (jvmArgs.stream().noneMatch(a -> a.startsWith("-Xmx"))) {
      cmd.add("-Xmx256m");
    }
    cmd.add("-Dorg.slf4j.simpleLogger.defaultLogLevel=warn");
    cmd.addAll(jvmArgs);
    cmd.add("-cp");
    cmd.add(classPath);
    cmd.add(mainClass.getName());
    cmd.addAll(args);
    return cmd;
  }

  /**
   * Starts the child, its standard output and error both written to {@code output}.
   *
   * @param output the file to write; replaced
   * @return the running child
   * @throws IOException if it cannot be started
   */
  public Running start(Path output) throws IOException {
    Process p = new ProcessBuilder(command()).redirectErrorStream(true)
        .redirectOutput(output.toFile()).start();
    return new Running(p, output);
  }

  /**
   * Makes the calling JVM (a child's main) halt when its parent process exits, so that a test
   * that fails or is killed never leaves a child running.
   */
  public static void exitWithParent() {
    ProcessHandle.current().parent().ifPresent(parent -> parent.onExit().thenRun(() -> Runtime.getRuntime().halt(3)));
  }

  /** A started child JVM and the file its output goes to; closing it kills the child if it still runs. */
  public static final class Running implements AutoCloseable {
    private final Process process;
    private final Path output;

    private Running(Process process, Path output) {
      this.process = process;
      this.output = output;
    }

    /**
     * Returns the process.
     *
     * @return the process
     */
    public Process process() {
      return process;
    }

    /**
     * Reads what the child wrote so far.
     *
     * @return its output
     */
    public String output() {
      try {
        // not readString: a line the child is still writing may end inside a character
        return new String(Files.readAllBytes(output), StandardCharsets.UTF_8);
      } catch (IOException e) {
        return "";
      }
    }

    /**
     * Reads the child's output as lines.
     *
     * @return the lines written so far
     */
    public List<String> lines() {
      return output().lines().toList();
    }

    /** Kills the child (SIGKILL) if it is still running. */
    @Override
    public void close() {
      if (process.isAlive()) {
        process.destroyForcibly();
      }
    }
  }
}
