package dev.swell.samples.hotreload;

import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.SemVer;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;

/**
 * Another process that moves aliases: reads {@code model version alias} lines from standard
 * input, promotes, and answers {@code moved VERSION} (an empty line ends it).
 */
public final class AliasMover {

  private AliasMover() {}

  /**
   * Runs the mover.
   *
   * @param args the registry's root folder
   * @throws Exception on any failure (the parent sees the process end)
   */
  public static void main(String[] args) throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(Path.of(args[0]));
    BufferedReader in = new BufferedReader(new InputStreamReader(System.in, StandardCharsets.UTF_8));
    for (String line = in.readLine(); line != null && !line.isBlank(); line = in.readLine()) {
      String[] parts = line.split(" ");
      registry.promote(parts[0], SemVer.parse(parts[1]), parts[2]);
      System.out.println("moved " + registry.alias(parts[0], parts[2]).orElseThrow());
      System.out.flush();
    }
  }
}
