package dev.swell.samples.server;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.api.BackendException;
import dev.swell.api.DeadlineExceededException;
import dev.swell.api.InvalidInputException;
import dev.swell.api.ModelNotFoundException;
import dev.swell.api.NamedTensors;
import dev.swell.api.OverloadException;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.RequestOptions;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.SemVer;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpHeader;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Handler;
import org.eclipse.jetty.server.HttpConfiguration;
import org.eclipse.jetty.server.HttpConnectionFactory;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.server.Server;
import org.eclipse.jetty.server.ServerConnector;
import org.eclipse.jetty.server.handler.ErrorHandler;
import org.eclipse.jetty.server.handler.SizeLimitHandler;
import org.eclipse.jetty.util.Callback;
import org.eclipse.jetty.util.thread.QueuedThreadPool;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An Open Inference Protocol v2 (KServe v2 / Triton REST) server over a Swell runtime and a file
 * registry, on Jetty 12's core handlers. Routes: {@code GET /v2/health/live}, {@code /v2/health/ready},
 * {@code /v2}, {@code /v2/models/{m}[/versions/{v}]}, {@code …/ready}, and {@code POST …/infer}, where
 * {@code {v}} is an exact version, an alias ({@code production}) or {@code latest}. Every answer,
 * including Jetty's own refusals (413, 414, 431), is JSON; errors are {@code {"error": "..."}}.
 *
 * <pre>{@code
 * try (OipServer server = OipServer.start(swell, registry, OipServer.Limits.defaults(), 8000)) {
 *   server.join();
 * }
 * }</pre>
 */
public final class OipServer implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(OipServer.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern MODEL = Pattern.compile(
      "/v2/models/([A-Za-z0-9][A-Za-z0-9._-]*)(?:/versions/([A-Za-z0-9][A-Za-z0-9.+_-]*))?(/ready|/infer)?");

  /**
   * The server's limits.
   *
   * @param maxBodyBytes the largest request body (413 above it)
   * @param maxHeaderBytes the largest request line and headers (414 for a long URI, 431 otherwise)
   * @param idleTimeout how long a connection may stay silent
   * @param stopTimeout how long a graceful stop waits for requests in flight
   */
  public record Limits(long maxBodyBytes, int maxHeaderBytes, Duration idleTimeout, Duration stopTimeout) {
    /**
     * Returns the defaults: 16 MiB bodies, 8 KiB of headers, 30 s idle, 10 s to drain.
     *
     * @return the defaults
     */
    public static Limits defaults() {
      return new Limits(16L << 20, 8 << 10, Duration.ofSeconds(30), Duration.ofSeconds(10));
    }
  }

  private final Swell swell;
  private final FileModelRegistry registry;
  private final Server server;
  private final ServerConnector connector;
  private final Map<String, Predictor> predictors = new ConcurrentHashMap<>();
  private volatile boolean accepting = true;

  private OipServer(Swell swell, FileModelRegistry registry, Limits limits, String host, int port) {
    this.swell = swell;
    this.registry = registry;
    QueuedThreadPool threads = new QueuedThreadPool(64, 8);
    threads.setName("oip");
    server = new Server(threads);
    HttpConfiguration http = new HttpConfiguration();
    http.setRequestHeaderSize(limits.maxHeaderBytes());
    http.setSendServerVersion(false);
    http.setSendDateHeader(false);
    connector = new ServerConnector(server, new HttpConnectionFactory(http));
    connector.setPort(port);
    connector.setHost(host); // null: every interface
    connector.setIdleTimeout(limits.idleTimeout().toMillis());
    server.addConnector(connector);
    server.setHandler(new SizeLimitHandler(limits.maxBodyBytes(), -1) {
      {
        setHandler(new Routes());
      }
    });
    server.setErrorHandler(new JsonErrors());
    server.setStopTimeout(limits.stopTimeout().toMillis());
    server.setStopAtShutdown(false); // the host's own hook stops it, then closes Swell
  }

  /**
   * Starts a server.
   *
   * @param swell the runtime that loads and serves versions (not closed by the server)
   * @param registry the registry whose models are served
   * @param limits the limits
   * @param port the port, 0 for any free one
   * @return the started server
   * @throws IllegalStateException if it cannot start (the port is taken)
   */
  public static OipServer start(Swell swell, FileModelRegistry registry, Limits limits, int port) {
    return start(swell, registry, limits, null, port);
  }

  /**
   * Starts a server on one interface.
   *
   * @param swell the runtime that loads and serves versions (not closed by the server)
   * @param registry the registry whose models are served
   * @param limits the limits
   * @param host the address to listen on ({@code 127.0.0.1} for this machine only), null for all
   * @param port the port, 0 for any free one
   * @return the started server
   * @throws IllegalStateException if it cannot start (the port is taken)
   */
  public static OipServer start(Swell swell, FileModelRegistry registry, Limits limits, String host, int port) {
    OipServer s = new OipServer(swell, registry, limits, host, port);
    try {
      s.server.start();
    } catch (Exception e) {
      throw new IllegalStateException("the server did not start on port " + port + ": " + e.getMessage(), e);
    }
    log.info("Open Inference Protocol server on port {}", s.port());
    return s;
  }

  /**
   * Returns the port it listens on.
   *
   * @return the local port
   */
  public int port() {
    return connector.getLocalPort();
  }

  /**
   * Waits until the server stops.
   *
   * @throws InterruptedException if interrupted
   */
  public void join() throws InterruptedException {
    server.join();
  }

  /** Stops: readiness goes false, new connections are refused, requests in flight finish (up to the stop timeout). */
  @Override
  public void close() {
    accepting = false;
    try {
      server.stop();
    } catch (Exception e) {
      log.warn("stopping the server: {}", e.toString());
    }
    predictors.values().forEach(Predictor::close);
    predictors.clear();
  }

  private Predictor predictor(String model, String version) {
    VersionSelector selector = version == null ? VersionSelector.latest() : VersionSelector.parse(version);
    String key = model + "@" + selector;
    Predictor p = predictors.get(key);
    if (p != null) {
      return p;
    }
    registry.requireModel(model); // ModelNotFoundException (404) for a model the registry does not hold
    return predictors.computeIfAbsent(key, k -> selector.kind() == VersionSelector.Kind.EXACT
        ? swell.load(model, selector) : swell.predictor(model, selector));
  }

  /** The protocol's routes. */
  private final class Routes extends Handler.Abstract {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      String path = Request.getPathInContext(request);
      String method = request.getMethod();
      try {
        if (path.equals("/v2/health/live")) {
          return get(method) && json(response, callback, 200, JSON.createObjectNode().put("live", true));
        }
        if (path.equals("/v2/health/ready")) {
          return get(method) && json(response, callback, accepting ? 200 : 503,
              JSON.createObjectNode().put("ready", accepting));
        }
        if (path.equals("/v2")) {
          ObjectNode o = JSON.createObjectNode().put("name", "swell").put("version", Swell.version());
          o.putArray("extensions");
          return get(method) && json(response, callback, 200, o);
        }
        Matcher m = MODEL.matcher(path);
        if (!m.matches()) {
          return error(response, callback, 404, "no route " + path + "; see /v2/models/{model}[/versions/{version}]"
              + "[/ready|/infer] and /v2/health/{live,ready}");
        }
        String model = m.group(1);
        String version = m.group(2);
        String action = m.group(3);
        if ("/infer".equals(action)) {
          if (!HttpMethod.POST.is(method)) {
            return error(response, callback, 405, "infer takes POST, not " + method);
          }
          return infer(request, response, callback, model, version);
        }
        if (!get(method)) {
          return error(response, callback, 405, path + " takes GET, not " + method);
        }
        Predictor p = predictor(model, version);
        if ("/ready".equals(action)) {
          return json(response, callback, 200, JSON.createObjectNode().put("name", model).put("ready", true));
        }
        List<String> versions = registry.versions(model).stream().map(SemVer::toString).toList();
        return json(response, callback, 200, OipJson.metadata(model, versions, p.signature()));
      } catch (MethodNotAllowed e) {
        return error(response, callback, 405, path + " takes GET, not " + method);
      } catch (OipJson.BadRequest | InvalidInputException | IllegalArgumentException e) {
        return error(response, callback, 400, e.getMessage());
      } catch (ModelNotFoundException e) {
        return error(response, callback, 404, e.getMessage());
      } catch (OverloadException e) {
        return error(response, callback, 503, e.getMessage());
      } catch (DeadlineExceededException e) {
        return error(response, callback, 504, e.getMessage());
      } catch (BackendException e) {
        log.warn("{} {}: {}", method, path, e.toString());
        return error(response, callback, 500, e.getMessage());
      } catch (RuntimeException e) {
        log.error("{} {} failed", method, path, e);
        return error(response, callback, 500, "internal error: " + e.getClass().getSimpleName());
      }
    }

    private boolean get(String method) {
      if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
        throw new MethodNotAllowed();
      }
      return true;
    }

    private boolean infer(Request request, Response response, Callback callback, String model, String version) {
      JsonNode body;
      try (InputStream in = Content.Source.asInputStream(request)) {
        body = JSON.readTree(in);
      } catch (JsonProcessingException e) {
        return error(response, callback, 400, "the body is not JSON: " + e.getOriginalMessage());
      } catch (java.io.IOException e) {
        // the size limit's refusal surfaces here as an I/O failure of the body
        String why = String.valueOf(e.getMessage());
        if (why.contains("413") || why.toLowerCase(java.util.Locale.ROOT).contains("too large")) {
          return error(response, callback, 413, "the body is larger than the server accepts");
        }
        return error(response, callback, 400, "the body could not be read: " + why);
      }
      if (body == null || !body.isObject()) {
        return error(response, callback, 400, "the body must be a JSON object with \"inputs\"");
      }
      JsonNode inputs = body.get("inputs");
      if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
        return error(response, callback, 400, "\"inputs\" must be a non-empty array");
      }
      NamedTensors.Builder b = NamedTensors.builder();
      java.util.Set<String> names = new java.util.HashSet<>();
      for (JsonNode input : inputs) {
        Tensor t = OipJson.tensor(input);
        String name = input.get("name").asText();
        if (!names.add(name)) {
          return error(response, callback, 400, "input '" + name + "' is given twice");
        }
        b.put(name, t);
      }
      RequestOptions.Builder options = RequestOptions.builder();
      JsonNode id = body.get("id");
      if (id != null && id.isTextual()) {
        options.requestId(id.asText());
      }
      JsonNode timeout = body.path("parameters").get("timeout");
      if (timeout != null) {
        if (!timeout.isIntegralNumber() || !timeout.canConvertToLong() || timeout.asLong() <= 0
            || timeout.asLong() > Long.MAX_VALUE / 1000) {
          return error(response, callback, 400, "parameters.timeout must be a positive whole number of microseconds,"
              + " was " + timeout);
        }
        options.timeout(Duration.ofNanos(Math.multiplyExact(timeout.asLong(), 1000L)));
      }
      Predictor p = predictor(model, version);
      Prediction out = p.predict(b.build(), options.build());
      ObjectNode o = JSON.createObjectNode();
      o.put("model_name", model);
      o.put("model_version", out.version());
      out.requestId().ifPresent(r -> o.put("id", r));
      java.util.Set<String> wanted = new java.util.LinkedHashSet<>();
      JsonNode requested = body.get("outputs");
      if (requested != null && requested.isArray()) {
        for (JsonNode r : requested) {
          wanted.add(r.path("name").asText());
        }
      }
      for (String w : wanted) { // checked before any output is written
        if (!out.outputs().names().contains(w)) {
          return error(response, callback, 400, "the model has no output '" + w + "'; outputs: " + out.outputs().names());
        }
      }
      ArrayNode outs = o.putArray("outputs");
      for (String name : out.outputs().names()) {
        if (wanted.isEmpty() || wanted.contains(name)) {
          outs.add(OipJson.output(name, out.output(name)));
        }
      }
      return json(response, callback, 200, o);
    }
  }

  private static final class MethodNotAllowed extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  private static boolean json(Response response, Callback callback, int status, JsonNode body) {
    byte[] bytes;
    try {
      bytes = JSON.writeValueAsBytes(body);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
    response.setStatus(status);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(bytes), callback);
    return true;
  }

  private static boolean error(Response response, Callback callback, int status, String message) {
    return json(response, callback, status, JSON.createObjectNode().put("error", message));
  }

  /** Jetty's own refusals (a body over the limit, headers too large, a bad request line) as JSON. */
  private static final class JsonErrors extends ErrorHandler {
    @Override
    public boolean handle(Request request, Response response, Callback callback) {
      Object status = request.getAttribute(ERROR_STATUS);
      int code = status instanceof Integer i ? i : response.getStatus();
      Object message = request.getAttribute(ERROR_MESSAGE);
      String text = message == null ? org.eclipse.jetty.http.HttpStatus.getMessage(code) : message.toString();
      byte[] bytes = ("{\"error\":" + quote(text) + "}").getBytes(StandardCharsets.UTF_8);
      response.setStatus(code);
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.write(true, ByteBuffer.wrap(bytes), callback);
      return true;
    }

    private static String quote(String s) {
      try {
        return JSON.writeValueAsString(s);
      } catch (JsonProcessingException e) {
        return "\"error\"";
      }
    }
  }
}
