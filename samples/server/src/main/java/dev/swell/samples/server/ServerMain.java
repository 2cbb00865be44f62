package dev.swell.samples.server;

import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import java.nio.file.Path;

/**
 * Runs the Open Inference Protocol server over a registry folder:
 * {@code ServerMain REGISTRY_DIR [PORT]} (default port 8000). On SIGTERM it stops accepting, lets
 * requests in flight finish (up to the stop timeout), then closes Swell, in one shutdown hook.
 */
public final class ServerMain {

  private ServerMain() {}

  /**
   * Starts the server and waits.
   *
   * @param args the registry folder, and optionally the port
   * @throws InterruptedException if interrupted while serving
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length < 1 || args.length > 2 || args[0].startsWith("-")) {
      System.err.println("usage: ServerMain REGISTRY_DIR [PORT]");
      System.exit(2);
    }
    int port = args.length == 2 ? Integer.parseInt(args[1]) : 8000;
    FileModelRegistry registry = FileModelRegistry.open(Path.of(args[0]));
    Swell swell = Swell.builder().repository(registry).build();
    OipServer server = OipServer.start(swell, registry, OipServer.Limits.defaults(), port);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      swell.close();
    }, "oip-shutdown"));
    server.join();
  }
}
