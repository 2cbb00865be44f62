package dev.swell.samples.server;

import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Map;

/**
 * Runs the Open Inference Protocol server over a registry folder:
 * {@code ServerMain REGISTRY_DIR [PORT]} (default port 8000). On SIGTERM it stops accepting, lets
 * requests in flight finish (up to the stop timeout), then closes Swell, in one shutdown hook.
 *
 * <p>Access from the environment: {@code SWELL_ADMIN_TOKEN_FILE} (or {@code SWELL_ADMIN_TOKEN})
 * turns the admin API on, {@code SWELL_INFERENCE_TOKEN_FILE} (or {@code SWELL_INFERENCE_TOKEN})
 * puts inference behind a token, {@code SWELL_RATE_LIMIT=PER_SECOND[/BURST]} limits each client.
 * A file is read once, its surrounding whitespace dropped (a Kubernetes secret mounted as a file).
 * {@code SWELL_EMBED_MODEL} with {@code SWELL_EMBED_TOKENIZER} (its {@code tokenizer.json}) adds the
 * custom route {@code POST /v1/embed} ({@link EmbeddingRoute}) on {@code SWELL_EMBED_VERSION}
 * (default {@code latest}, e.g. {@code production}). {@code SWELL_INTRA_OP_THREADS} is ONNX Runtime's threads per call (default 1: concurrent requests
 * fill the cores). {@code SWELL_REQUEST_LOG} is the fraction of requests logged as JSON lines (default 0.01; server
 * errors always). {@code GET /metrics} serves Swell's and the server's meters to Prometheus.
 */
public final class ServerMain {

  private static final String USAGE = "usage: ServerMain REGISTRY_DIR [PORT]   (port default 8000; settings from"
      + " SWELL_* environment variables, see the module's README)";

  private ServerMain() {}

  static int port(String text) {
    try {
      int port = Integer.parseInt(text);
      if (port >= 0 && port <= 65535) {
        return port;
      }
    } catch (NumberFormatException e) {
      // below
    }
    throw new IllegalArgumentException("the port must be a number within [0, 65535], was '" + text + "'");
  }

  /**
   * Starts the server and waits.
   *
   * @param args the registry folder, and optionally the port
   * @throws InterruptedException if interrupted while serving
   */
  public static void main(String[] args) throws InterruptedException {
    if (args.length == 1 && (args[0].equals("--help") || args[0].equals("-h"))) {
      System.out.println(USAGE);
      return;
    }
    if (args.length < 1 || args.length > 2 || args[0].startsWith("-")) {
      System.err.println(USAGE);
      System.exit(2);
    }
    int port;
    Access access;
    try {
      port = port(args.length == 2 ? args[1] : "8000");
      access = access(System.getenv());
      // a typo in the folder must not serve a fresh, empty registry
      Path root = Path.of(args[0]);
      if (!Files.isRegularFile(root.resolve("registry.json"))) {
        throw new IllegalArgumentException(Files.isDirectory(root) ? root + " holds no registry (no registry.json); create"
            + " one with swell-registry init" : "no folder " + root + "; create a registry with swell-registry init");
      }
    } catch (IllegalArgumentException e) {
      System.err.println("ServerMain: " + e.getMessage());
      System.err.println(USAGE);
      System.exit(2);
      return;
    }
    double logSample;
    int intraOp;
    try {
      logSample = Double.parseDouble(System.getenv().getOrDefault("SWELL_REQUEST_LOG", "0.01"));
      intraOp = Integer.parseInt(System.getenv().getOrDefault("SWELL_INTRA_OP_THREADS", "1"));
    } catch (NumberFormatException e) {
      System.err.println("ServerMain: SWELL_REQUEST_LOG must be a fraction within [0, 1] and SWELL_INTRA_OP_THREADS a"
          + " whole number");
      System.exit(2);
      return;
    }
    FileModelRegistry registry = FileModelRegistry.open(Path.of(args[0]));
    PrometheusMeterRegistry prometheus = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
    // one thread per call by default: concurrent requests fill the cores, and ONNX Runtime's pool
    // of spinning threads would take the cores the HTTP threads need (MLP under 64 connections)
    Swell swell = Swell.builder().repository(registry).meterRegistry(prometheus)
        .backendConfig(BackendConfig.builder().intraOpThreads(intraOp).build()).build();
    OipServer.Builder builder = OipServer.builder(swell, registry).access(access).port(port).metrics(prometheus)
        .requestLog(logSample);
    String embedModel = System.getenv("SWELL_EMBED_MODEL");
    if (embedModel != null && !embedModel.isBlank()) {
      String tokenizer = System.getenv("SWELL_EMBED_TOKENIZER");
      if (tokenizer == null || tokenizer.isBlank()) {
        System.err.println("ServerMain: SWELL_EMBED_MODEL needs SWELL_EMBED_TOKENIZER, the model's tokenizer.json");
        System.exit(2);
      }
      Predictor encoder = swell.predictor(embedModel, VersionSelector.parse(
          System.getenv().getOrDefault("SWELL_EMBED_VERSION", "latest")));
      builder.route("/v1/embed", new EmbeddingRoute(encoder, Path.of(tokenizer), 128));
    }
    OipServer server = builder.start();
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      server.close();
      swell.close();
    }, "oip-shutdown"));
    server.join();
  }

  /**
   * Reads the access policy from environment variables.
   *
   * @param env the environment
   * @return the policy
   * @throws IllegalArgumentException when a variable is malformed or a token file unreadable
   */
  static Access access(Map<String, String> env) {
    Access.Builder b = Access.builder();
    String admin = token(env, "SWELL_ADMIN_TOKEN");
    if (admin != null) {
      b.adminToken(admin);
    }
    String inference = token(env, "SWELL_INFERENCE_TOKEN");
    if (inference != null) {
      b.inferenceToken(inference);
    }
    String rate = env.get("SWELL_RATE_LIMIT");
    if (rate != null && !rate.isBlank()) {
      String[] parts = rate.trim().split("/", -1);
      try {
        double perSecond = Double.parseDouble(parts[0]);
        long burst = parts.length > 1 ? Long.parseLong(parts[1]) : Math.max(1, (long) Math.ceil(perSecond));
        if (parts.length > 2) {
          throw new NumberFormatException();
        }
        b.rateLimit(perSecond, burst);
      } catch (NumberFormatException e) {
        throw new IllegalArgumentException("SWELL_RATE_LIMIT must be PER_SECOND[/BURST], e.g. 1000/2000, was '" + rate
            + "'");
      }
    }
    return b.build();
  }

  private static String token(Map<String, String> env, String name) {
    String file = env.get(name + "_FILE");
    if (file != null && !file.isBlank()) {
      try {
        return Files.readString(Path.of(file), StandardCharsets.UTF_8).strip();
      } catch (IOException e) {
        throw new IllegalArgumentException(name + "_FILE names a file that cannot be read: " + file);
      }
    }
    String value = env.get(name);
    return value == null || value.isBlank() ? null : value;
  }
}
