package dev.swell.samples.http;

import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.Manifest;
import dev.swell.registry.PublishRequest;
import dev.swell.samples.quickstart.Quickstart;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;

/**
 * Runs {@link EmbeddingService} on a registry: the one given with {@code --registry DIR} (serving
 * {@code --model}, default {@code minilm}, at {@code --alias}, default {@code production}), or a
 * fresh one into which MiniLM is published and promoted. Promote or roll back with the registry's
 * command-line tool while it runs, and the service follows.
 *
 * <pre>
 * ./mvnw -B -q -pl samples -am package exec:java -DskipTests \
 *     -Dexec.mainClass=dev.swell.samples.http.HttpSample -Dexec.args="--port 8080"
 * curl -s localhost:8080/v1/embed -d '{"texts": ["a cat", "a kitten"]}'
 * curl -s localhost:8080/health
 * curl -s localhost:8080/metrics | grep swell_
 * </pre>
 *
 * <p>{@code --self-test} sends one request to itself, prints the answer and exits.
 */
public final class HttpSample {

  private HttpSample() {}

  /**
   * Runs the service until the JVM is stopped.
   *
   * @param args {@code [--registry DIR] [--model NAME] [--alias ALIAS] [--port N] [--self-test]}
   * @throws Exception if it cannot start
   */
  public static void main(String[] args) throws Exception {
    Path registryDir = null;
    String model = "minilm";
    String alias = "production";
    int port = 8080;
    boolean selfTest = false;
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "--registry" -> registryDir = Path.of(args[++i]);
        case "--model" -> model = args[++i];
        case "--alias" -> alias = args[++i];
        case "--port" -> port = Integer.parseInt(args[++i]);
        case "--self-test" -> selfTest = true;
        default -> throw new IllegalArgumentException("unknown argument " + args[i]
            + "; expected [--registry DIR] [--model NAME] [--alias ALIAS] [--port N] [--self-test]");
      }
    }
    FileModelRegistry registry;
    if (registryDir == null) {
      registryDir = Files.createTempDirectory("swell-http-registry");
      registry = FileModelRegistry.open(registryDir);
      Manifest m = registry.publish(PublishRequest.builder(model)
          .file(Quickstart.extract(Quickstart.MODEL_RESOURCE)).version("1.0.0").build());
      registry.promote(model, m.version(), alias);
      System.out.println("Published " + model + " " + m.version() + " into " + registryDir + " as " + alias);
    } else {
      registry = FileModelRegistry.open(registryDir);
    }
    EmbeddingService service = new EmbeddingService(registry, model, alias, Quickstart.tokenizer(),
        selfTest ? 0 : port, 8);
    String base = "http://127.0.0.1:" + service.port();
    if (selfTest) {
      try (service) {
        HttpResponse<String> r = HttpClient.newHttpClient().send(HttpRequest.newBuilder(URI.create(base + "/v1/embed"))
            .POST(HttpRequest.BodyPublishers.ofString("{\"texts\": [\"a cat\", \"a kitten\"]}")).build(),
            HttpResponse.BodyHandlers.ofString());
        System.out.println("POST /v1/embed -> " + r.statusCode() + " "
            + r.body().substring(0, Math.min(120, r.body().length())) + "...");
      }
      return;
    }
    System.out.println("Serving on " + base + "; try:");
    System.out.println("  curl -s " + base + "/v1/embed -d '{\"texts\": [\"a cat\", \"a kitten\"]}'");
    System.out.println("  curl -s " + base + "/health");
    System.out.println("  curl -s " + base + "/metrics | grep swell_");
    CountDownLatch stopped = new CountDownLatch(1);
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      service.close();
      stopped.countDown();
    }));
    stopped.await();
  }
}
