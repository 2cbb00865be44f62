package dev.swell.samples.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import dev.swell.api.InvalidInputException;
import dev.swell.api.Predictor;
import dev.swell.api.SwellException;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.ModelRepository;
import dev.swell.core.Swell;
import dev.swell.core.SwellHealth;
import dev.swell.samples.quickstart.BertTokenizer;
import dev.swell.samples.quickstart.Embedder;
import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import java.io.IOException;
import java.io.InputStream;
import java.net.InetSocketAddress;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A small HTTP service that embeds Swell: sentence embeddings from the MiniLM version a registry
 * alias names, following the alias as it moves, with health and Prometheus metrics.
 *
 * <ul>
 *   <li>{@code POST /v1/embed} with {@code {"texts": ["...", ...]}} (1 to {@value #MAX_TEXTS}
 *       texts): {@code {"model", "version", "dimensions", "embeddings": [[...], ...]}};
 *   <li>{@code GET /health}: Swell's health as JSON, status 200 when ready, else 503;
 *   <li>{@code GET /metrics}: the runtime's meters in Prometheus' text format.
 * </ul>
 *
 * <p>Errors are JSON {@code {"error": "..."}}: 400 for a bad request (not JSON, no texts, too
 * many, input the model refuses), 405 for a wrong method, 500 when the model fails.
 */
public final class EmbeddingService implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(EmbeddingService.class);

  /** The most texts in one request. */
  public static final int MAX_TEXTS = 64;
  /** The most bytes in a request body. */
  public static final int MAX_BODY_BYTES = 1 << 20;

  private final ObjectMapper json = new ObjectMapper();
  private final Swell swell;
  private final Predictor predictor;
  private final Embedder embedder;
  private final PrometheusMeterRegistry meters = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
  private final HttpServer server;
  private final ExecutorService workers;

  /**
   * Starts serving.
   *
   * @param repository where the model's versions come from (a {@code FileModelRegistry})
   * @param model the model's name
   * @param alias the alias to serve and follow, such as {@code production}
   * @param tokenizer MiniLM's tokenizer
   * @param port the port, 0 for any free one
   * @param threads request threads
   * @throws IOException if the port cannot be bound
   */
  public EmbeddingService(ModelRepository repository, String model, String alias, BertTokenizer tokenizer,
      int port, int threads) throws IOException {
    this.swell = Swell.builder().repository(repository).build();
    swell.bindTo(meters);
    try {
      this.predictor = swell.predictor(model, VersionSelector.alias(alias));
      this.embedder = new Embedder(predictor, tokenizer, 128);
      this.server = HttpServer.create(new InetSocketAddress("127.0.0.1", port), 64);
    } catch (IOException | RuntimeException e) {
      swell.close();
      throw e;
    }
    this.workers = Executors.newFixedThreadPool(threads, r -> {
      Thread t = new Thread(r, "http-worker");
      t.setDaemon(true);
      return t;
    });
    server.setExecutor(workers);
    server.createContext("/v1/embed", this::embed);
    server.createContext("/health", this::health);
    server.createContext("/metrics", this::metrics);
    server.start();
    log.info("serving {} {} on http://127.0.0.1:{}", model, alias, port());
  }

  /**
   * Returns the port the service listens on.
   *
   * @return the bound port
   */
  public int port() {
    return server.getAddress().getPort();
  }

  private void embed(HttpExchange exchange) throws IOException {
    try (exchange) {
      if (!exchange.getRequestMethod().equals("POST")) {
        error(exchange, 405, "use POST with {\"texts\": [\"...\"]}");
        return;
      }
      List<String> texts;
      try {
        texts = texts(readBody(exchange.getRequestBody()));
      } catch (IllegalArgumentException e) {
        error(exchange, 400, e.getMessage());
        return;
      }
      Embedder.Embeddings out;
      try {
        out = embedder.embedAll(texts);
      } catch (InvalidInputException e) {
        error(exchange, 400, e.getMessage());
        return;
      } catch (SwellException e) {
        log.warn("embedding failed", e);
        error(exchange, 500, e.getMessage());
        return;
      }
      ObjectNode body = json.createObjectNode();
      body.put("model", out.model());
      body.put("version", out.version());
      body.put("dimensions", out.vectors()[0].length);
      ArrayNode rows = body.putArray("embeddings");
      for (float[] v : out.vectors()) {
        ArrayNode row = rows.addArray();
        for (float f : v) {
          row.add(f);
        }
      }
      send(exchange, 200, "application/json", json.writeValueAsBytes(body));
    }
  }

  /** Reads {@code {"texts": [...]}}; throws IllegalArgumentException saying what was wrong. */
  private List<String> texts(byte[] body) {
    JsonNode root;
    try {
      root = json.readTree(body);
    } catch (IOException e) {
      throw new IllegalArgumentException("the body is not JSON: " + firstLine(e));
    }
    JsonNode texts = root == null ? null : root.get("texts");
    if (texts == null || !texts.isArray()) {
      throw new IllegalArgumentException("expected {\"texts\": [\"...\", ...]}, got " + abbreviate(String.valueOf(root)));
    }
    if (texts.isEmpty() || texts.size() > MAX_TEXTS) {
      throw new IllegalArgumentException("expected 1 to " + MAX_TEXTS + " texts, got " + texts.size());
    }
    List<String> out = new ArrayList<>(texts.size());
    for (JsonNode t : texts) {
      if (!t.isTextual()) {
        throw new IllegalArgumentException("every text must be a string, got " + abbreviate(t.toString()));
      }
      out.add(t.asText());
    }
    return out;
  }

  private static byte[] readBody(InputStream in) throws IOException {
    byte[] body = in.readNBytes(MAX_BODY_BYTES + 1);
    if (body.length > MAX_BODY_BYTES) {
      throw new IllegalArgumentException("the body is larger than " + MAX_BODY_BYTES + " bytes");
    }
    return body;
  }

  private void health(HttpExchange exchange) throws IOException {
    try (exchange) {
      SwellHealth h = swell.health();
      ObjectNode body = json.createObjectNode();
      body.put("live", h.live());
      body.put("ready", h.ready());
      ArrayNode models = body.putArray("models");
      for (SwellHealth.ModelStatus m : h.models()) {
        ObjectNode s = models.addObject();
        s.put("model", m.model());
        s.put("selector", m.selector());
        s.put("version", m.version());
        s.put("device", m.device());
        s.put("loadedAt", m.loadedAt().toString());
        s.put("loadMillis", m.loadTime().toMillis());
        s.put("swaps", m.swaps());
        s.put("resident", m.resident());
        s.put("lastError", m.lastError());
      }
      send(exchange, h.ready() ? 200 : 503, "application/json", json.writeValueAsBytes(body));
    }
  }

  private void metrics(HttpExchange exchange) throws IOException {
    try (exchange) {
      send(exchange, 200, "text/plain; version=0.0.4; charset=utf-8",
          meters.scrape().getBytes(StandardCharsets.UTF_8));
    }
  }

  private void error(HttpExchange exchange, int status, String message) throws IOException {
    ObjectNode body = json.createObjectNode();
    body.put("error", message);
    send(exchange, status, "application/json", json.writeValueAsBytes(body));
  }

  private static void send(HttpExchange exchange, int status, String type, byte[] body) throws IOException {
    exchange.getResponseHeaders().set("Content-Type", type);
    exchange.sendResponseHeaders(status, body.length);
    exchange.getResponseBody().write(body);
  }

  private static String firstLine(JsonProcessingException e) {
    return String.valueOf(e.getOriginalMessage()).lines().findFirst().orElse("");
  }

  private static String firstLine(IOException e) {
    return e instanceof JsonProcessingException jpe ? firstLine(jpe)
        : String.valueOf(e.getMessage()).lines().findFirst().orElse("");
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  /**
   * Stops accepting requests, lets running ones finish (up to 5 s), then closes the runtime: what
   * a host does on SIGTERM.
   */
  @Override
  public void close() {
    server.stop(5); // closes the listening socket, then waits up to 5 s for running exchanges
    workers.shutdown();
    try {
      workers.awaitTermination(5, TimeUnit.SECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
    }
    predictor.close();
    swell.close();
    meters.close();
  }
}
