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
import dev.swell.api.Priority;
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
  /**
   * Every route the server answers, as "METHOD /template" ({@code /openapi.json} describes the
   * same set; a test holds them equal). GET routes also answer HEAD.
   */
  static final List<String> ROUTES = List.of(
      "GET /v2/health/live", "GET /v2/health/ready", "GET /v2", "GET /v2/models/stats",
      "GET /v2/models/{model}", "GET /v2/models/{model}/versions/{version}",
      "GET /v2/models/{model}/ready", "GET /v2/models/{model}/versions/{version}/ready",
      "GET /v2/models/{model}/config", "GET /v2/models/{model}/versions/{version}/config",
      "GET /v2/models/{model}/stats", "GET /v2/models/{model}/versions/{version}/stats",
      "POST /v2/models/{model}/infer", "POST /v2/models/{model}/versions/{version}/infer",
      "GET /metrics", "GET /openapi.json", "GET /admin/models", "PUT /admin/models/{model}/aliases/{alias}",
      "POST /admin/models/{model}/aliases/{alias}/rollback", "GET /admin/experiments",
      "POST /admin/experiments/{key}/ramp", "POST /admin/experiments/{key}/stop");

  /** The protocol extensions served, as {@code GET /v2} lists them. */
  static final List<String> EXTENSIONS = List.of("binary_tensor_data", "model_configuration", "statistics",
      "parameters");
  private static final Pattern MODEL = Pattern.compile(
      "/v2/models/([A-Za-z0-9][A-Za-z0-9._-]*)(?:/versions/([A-Za-z0-9][A-Za-z0-9.+_-]*))?(/ready|/infer|/config|/stats)?");

  /**
   * The server's limits.
   *
   * @param maxBodyBytes the largest request body, after any decompression (413 above it)
   * @param maxHeaderBytes the largest request line and headers (414 for a long URI, 431 otherwise)
   * @param idleTimeout how long a connection may stay silent
   * @param stopTimeout how long a graceful stop waits for requests in flight
   * @param headerTimeout how long a client may take to send a request's line and headers (408)
   * @param maxConnections the most connections open at once (more wait in the accept queue)
   * @param maxInFlightBytes the memory inference requests may hold at once, counted as 16 bytes for
   *     each body byte (the body, its parsed elements, the tensors); beyond it a request is answered
   *     503 with {@code Retry-After} before its body is read
   */
  public record Limits(long maxBodyBytes, int maxHeaderBytes, Duration idleTimeout, Duration stopTimeout,
      Duration headerTimeout, int maxConnections, long maxInFlightBytes) {

    /** Checks the limits. */
    public Limits {
      if (maxBodyBytes < 1 || maxHeaderBytes < 256 || maxConnections < 1 || maxInFlightBytes < 16 * maxBodyBytes
          || idleTimeout.isNegative()
          || stopTimeout.isNegative() || headerTimeout.isNegative() || headerTimeout.isZero()) {
        throw new IllegalArgumentException("limits must be positive (headers at least 256 bytes, the bytes in"
            + " flight at least 16 × maxBodyBytes, one largest request): " + maxBodyBytes + ", " + maxHeaderBytes
            + ", " + idleTimeout + ", " + stopTimeout + ", " + headerTimeout + ", " + maxConnections + ", "
            + maxInFlightBytes);
      }
    }

    /**
     * The limits with the default header timeout (10 s), connection limit (1,000) and bytes in
     * flight (half the heap, at least 16 × maxBodyBytes).
     *
     * @param maxBodyBytes the largest request body
     * @param maxHeaderBytes the largest request line and headers
     * @param idleTimeout how long a connection may stay silent
     * @param stopTimeout how long a graceful stop waits for requests in flight
     */
    public Limits(long maxBodyBytes, int maxHeaderBytes, Duration idleTimeout, Duration stopTimeout) {
      this(maxBodyBytes, maxHeaderBytes, idleTimeout, stopTimeout, Duration.ofSeconds(10), 1_000,
          Math.max(16 * maxBodyBytes, Runtime.getRuntime().maxMemory() / 2));
    }

    /**
     * Returns the defaults: 16 MiB bodies, 8 KiB of headers, 30 s idle, 10 s to drain, 10 s for
     * headers, 1,000 connections.
     *
     * @return the defaults
     */
    public static Limits defaults() {
      return new Limits(16L << 20, 8 << 10, Duration.ofSeconds(30), Duration.ofSeconds(10));
    }

    /**
     * Returns these limits with another header timeout.
     *
     * @param timeout the time a client may take to send a request's line and headers
     * @return new limits
     */
    public Limits withHeaderTimeout(Duration timeout) {
      return new Limits(maxBodyBytes, maxHeaderBytes, idleTimeout, stopTimeout, timeout, maxConnections,
          maxInFlightBytes);
    }

    /**
     * Returns these limits with another budget of bytes in flight.
     *
     * @param bytes at least 16 × maxBodyBytes
     * @return new limits
     */
    public Limits withMaxInFlightBytes(long bytes) {
      return new Limits(maxBodyBytes, maxHeaderBytes, idleTimeout, stopTimeout, headerTimeout, maxConnections, bytes);
    }
  }

  private final Swell swell;
  private final FileModelRegistry registry;
  private final Server server;
  private final ServerConnector connector;
  private final Map<String, Predictor> predictors = new ConcurrentHashMap<>();
  private final OipStats stats = new OipStats();
  private final AdminRoutes admin;
  private final HeaderDeadlines headerDeadlines;
  private final Limits limits;
  private final Access access;
  // measured: a 15 MiB body of small numbers held ~250 MB while it was served (the body, its
  // parsed elements, the input tensor, ONNX Runtime's copies, the output and its JSON)
  static final long BYTES_PER_BODY_BYTE = 16;
  /** A body over this is large: read and parsed by at most {@link #LARGE_BODY_SLOTS} requests at once. */
  static final long LARGE_BODY_BYTES = 1 << 20;
  static final int LARGE_BODY_SLOTS = Math.max(1, Runtime.getRuntime().availableProcessors() / 2);
  private final java.util.concurrent.Semaphore largeBodies = new java.util.concurrent.Semaphore(LARGE_BODY_SLOTS);
  private final java.util.concurrent.atomic.AtomicLong inFlightBytes = new java.util.concurrent.atomic.AtomicLong();
  private final io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus; // null: no /metrics
  private final double logSample;
  private final Map<String, JsonRoute> custom;
  private final Map<String, dev.swell.abtest.Experiment> experiments;
  // route, method and status: a bounded set (routes are templates; methods and statuses Jetty's)
  private final Map<String, io.micrometer.core.instrument.Timer> timers = new ConcurrentHashMap<>();
  private volatile boolean accepting = true;

  private OipServer(Swell swell, FileModelRegistry registry, Limits limits, Access access, String host, int port,
      io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus, double logSample, Map<String, JsonRoute> custom,
      Map<String, dev.swell.abtest.Experiment> experiments) {
    this.custom = custom;
    this.experiments = experiments;
    this.swell = swell;
    this.access = access;
    this.prometheus = prometheus;
    this.logSample = logSample;
    this.registry = registry;
    this.limits = limits;
    this.admin = new AdminRoutes(registry, experiments);
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
    headerDeadlines = new HeaderDeadlines(limits.headerTimeout());
    connector.addEventListener(headerDeadlines);
    server.addConnector(connector);
    server.addBean(new org.eclipse.jetty.server.NetworkConnectionLimit(limits.maxConnections(), connector));
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
    return start(swell, registry, limits, Access.open(), host, port);
  }

  /**
   * Starts a server on one interface with access control: tokens, the admin API, a rate limit.
   *
   * @param swell the runtime that loads and serves versions (not closed by the server)
   * @param registry the registry whose models are served
   * @param limits the limits
   * @param access who may call what, and how often
   * @param host the address to listen on ({@code 127.0.0.1} for this machine only), null for all
   * @param port the port, 0 for any free one
   * @return the started server
   * @throws IllegalStateException if it cannot start (the port is taken)
   */
  public static OipServer start(Swell swell, FileModelRegistry registry, Limits limits, Access access, String host,
      int port) {
    return builder(swell, registry).limits(limits).access(access).host(host).port(port).start();
  }

  /**
   * Starts configuring a server.
   *
   * @param swell the runtime that loads and serves versions (not closed by the server)
   * @param registry the registry whose models are served
   * @return a builder
   */
  public static Builder builder(Swell swell, FileModelRegistry registry) {
    return new Builder(swell, registry);
  }

  /** Configures and starts an {@link OipServer}. */
  public static final class Builder {
    private final Swell swell;
    private final FileModelRegistry registry;
    private Limits limits = Limits.defaults();
    private Access access = Access.open();
    private String host;
    private int port = 8000;
    private io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus;
    private double logSample;
    private final Map<String, JsonRoute> custom = new java.util.LinkedHashMap<>();
    private final Map<String, dev.swell.abtest.Experiment> experiments = new java.util.LinkedHashMap<>();

    private Builder(Swell swell, FileModelRegistry registry) {
      this.swell = java.util.Objects.requireNonNull(swell, "swell");
      this.registry = java.util.Objects.requireNonNull(registry, "registry");
    }

    /**
     * Sets the limits (default {@link Limits#defaults()}).
     *
     * @param limits the limits
     * @return this builder
     */
    public Builder limits(Limits limits) {
      this.limits = java.util.Objects.requireNonNull(limits, "limits");
      return this;
    }

    /**
     * Sets who may call what (default {@link Access#open()}).
     *
     * @param access the policy
     * @return this builder
     */
    public Builder access(Access access) {
      this.access = java.util.Objects.requireNonNull(access, "access");
      return this;
    }

    /**
     * Sets the interface to listen on (default: all).
     *
     * @param host an address such as {@code 127.0.0.1}, null for all
     * @return this builder
     */
    public Builder host(String host) {
      this.host = host;
      return this;
    }

    /**
     * Sets the port (default 8000).
     *
     * @param port the port, 0 for any free one
     * @return this builder
     */
    public Builder port(int port) {
      if (port < 0 || port > 65535) {
        throw new IllegalArgumentException("the port must be within [0, 65535], was " + port);
      }
      this.port = port;
      return this;
    }

    /**
     * Serves {@code GET /metrics} from this registry, and records each request in it
     * ({@code swell_http_server_requests_seconds}, a histogram by route, method and status).
     * Give the same registry to {@code Swell.builder().meterRegistry(...)} for Swell's meters.
     *
     * @param prometheus the registry
     * @return this builder
     */
    public Builder metrics(io.micrometer.prometheusmetrics.PrometheusMeterRegistry prometheus) {
      this.prometheus = prometheus;
      return this;
    }

    /**
     * Logs a sample of requests as JSON lines (logger {@code dev.swell.samples.server.requests},
     * INFO): time, method, route, model, version, status, latency and request id. Answers of 500
     * and above are always logged.
     *
     * @param fraction from 0 (only server errors, the default) to 1 (every request)
     * @return this builder
     */
    public Builder requestLog(double fraction) {
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new IllegalArgumentException("the request log's fraction must be within [0, 1], was " + fraction);
      }
      this.logSample = fraction;
      return this;
    }

    /**
     * Adds a custom endpoint: {@code POST path} with a JSON body, behind the same tokens, limits,
     * metrics and logs as the protocol's routes (not in {@code /openapi.json}, which describes
     * the protocol).
     *
     * @param path a path outside {@code /v2}, {@code /admin} and the server's own, e.g. {@code /v1/embed}
     * @param route what answers it
     * @return this builder
     */
    public Builder route(String path, JsonRoute route) {
      if (!path.startsWith("/") || path.startsWith("/v2") || path.startsWith("/admin") || path.equals("/metrics")
          || path.equals("/openapi.json")) {
        throw new IllegalArgumentException("a custom route needs a path of its own, not " + path);
      }
      custom.put(path, java.util.Objects.requireNonNull(route, "route"));
      return this;
    }

    /**
     * Serves a model through an experiment: {@code POST /v2/models/{model}/infer} (no version in
     * the path) answers with the variant of the request's unit ({@code parameters.unit}, or the
     * {@code X-Swell-Unit} header), names it in the answer's {@code parameters.variant}, and the
     * admin API ramps and stops it. A version in the path still serves that version directly.
     * The experiment is not closed by the server.
     *
     * @param experiment an experiment on one of the registry's models (one per model)
     * @return this builder
     */
    public Builder experiment(dev.swell.abtest.Experiment experiment) {
      String model = experiment.definition().model();
      if (experiments.putIfAbsent(model, experiment) != null) {
        throw new IllegalArgumentException("model '" + model + "' already has an experiment on this server");
      }
      return this;
    }

    /**
     * Starts the server.
     *
     * @return the started server
     * @throws IllegalStateException if it cannot start (the port is taken)
     */
    public OipServer start() {
      return OipServer.startServer(new OipServer(swell, registry, limits, access, host, port, prometheus, logSample,
          Map.copyOf(custom), Map.copyOf(experiments)));
    }
  }

  private static OipServer startServer(OipServer s) {
    int port = s.connector.getPort();
    try {
      s.server.start();
    } catch (Exception e) {
      throw new IllegalStateException("the server did not start on port " + port + ": " + e.getMessage(), e);
    }
    log.info("Open Inference Protocol server on port {} ({})", s.port(), s.access);
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
    headerDeadlines.close();
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
      if (prometheus == null && logSample == 0) {
        return route(request, response, callback);
      }
      long t0 = System.nanoTime();
      return route(request, response, new Observed(request, response, callback, t0));
    }

    private boolean route(Request request, Response response, Callback callback) {
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
        String authorization = request.getHeaders().get(HttpHeader.AUTHORIZATION);
        long retryAfter = access.take(authorization, Request.getRemoteAddr(request));
        if (retryAfter > 0) {
          response.getHeaders().put(HttpHeader.RETRY_AFTER, retryAfter);
          return fail(request, response, callback, 429, "too many requests from this client; retry after " + retryAfter + " s");
        }
        if (path.startsWith("/admin/") || path.equals("/admin")) {
          if (!access.adminEnabled()) {
            return fail(request, response, callback, 404, "the admin API is off: start the server with an admin token");
          }
          if (!access.isAdmin(authorization)) {
            return unauthorized(request, response, callback, "the admin API needs the admin bearer token");
          }
          return admin.handle(request, response, callback, path, method);
        }
        if (!access.mayInfer(authorization)) {
          return unauthorized(request, response, callback, "this server needs a bearer token (Authorization: Bearer ...)");
        }
        if (path.equals("/openapi.json")) {
          return get(method) && openApi(response, callback);
        }
        if (path.equals("/metrics")) {
          if (prometheus == null) {
            return fail(request, response, callback, 404, "this server has no metrics registry");
          }
          get(method);
          response.setStatus(200);
          response.getHeaders().put(HttpHeader.CONTENT_TYPE, "text/plain; version=0.0.4; charset=utf-8");
          response.write(true, ByteBuffer.wrap(prometheus.scrape().getBytes(StandardCharsets.UTF_8)), callback);
          return true;
        }
        JsonRoute extra = custom.get(path);
        if (extra != null) {
          if (!HttpMethod.POST.is(method)) {
            return fail(request, response, callback, 405, path + " takes POST, not " + method);
          }
          JsonNode body;
          try {
            body = JSON.readTree(body(request));
          } catch (java.io.IOException e) {
            throw new OipJson.BadRequest("the body is not JSON: " + e.getMessage());
          }
          return json(response, callback, 200, extra.handle(body));
        }
        if (path.equals("/v2")) {
          ObjectNode o = JSON.createObjectNode().put("name", "swell").put("version", Swell.version());
          ArrayNode extensions = o.putArray("extensions");
          EXTENSIONS.forEach(extensions::add);
          return get(method) && json(response, callback, 200, o);
        }
        if (path.equals("/v2/models/stats")) { // all models' statistics (no model may be named "stats")
          return get(method) && json(response, callback, 200, stats.json(null, v -> true));
        }
        Matcher m = MODEL.matcher(path);
        if (!m.matches()) {
          return fail(request, response, callback, 404, "no route " + path + "; the routes are in /openapi.json");
        }
        String model = m.group(1);
        String version = m.group(2);
        String action = m.group(3);
        if ("/infer".equals(action)) {
          if (!HttpMethod.POST.is(method)) {
            return fail(request, response, callback, 405, "infer takes POST, not " + method);
          }
          return infer(request, response, callback, model, version);
        }
        if (!get(method)) {
          return fail(request, response, callback, 405, path + " takes GET, not " + method);
        }
        Predictor p = predictor(model, version);
        if ("/ready".equals(action)) {
          return json(response, callback, 200, JSON.createObjectNode().put("name", model).put("ready", true));
        }
        if ("/config".equals(action)) {
          return json(response, callback, 200, OipJson.config(model, p.signature()));
        }
        if ("/stats".equals(action)) {
          String only = version == null ? null : p.version();
          return json(response, callback, 200, stats.json(model, v -> only == null || only.equals(v)));
        }
        List<String> versions = registry.versions(model).stream().map(SemVer::toString).toList();
        return json(response, callback, 200, OipJson.metadata(model, versions, p.signature()));
      } catch (TooLarge e) {
        return fail(request, response, callback, 413, e.getMessage());
      } catch (UnsupportedEncoding e) {
        response.getHeaders().put(HttpHeader.ACCEPT_ENCODING, "gzip, deflate");
        return fail(request, response, callback, 415, e.getMessage());
      } catch (MethodNotAllowed e) {
        return fail(request, response, callback, 405, path + " takes GET, not " + method);
      } catch (OipJson.BadRequest | InvalidInputException | IllegalArgumentException e) {
        return fail(request, response, callback, 400, e.getMessage());
      } catch (dev.swell.api.IntegrityException | dev.swell.registry.RegistryConflictException e) {
        return fail(request, response, callback, 409, e.getMessage());
      } catch (ModelNotFoundException e) {
        return fail(request, response, callback, 404, e.getMessage());
      } catch (OverloadException e) {
        return fail(request, response, callback, 503, e.getMessage());
      } catch (DeadlineExceededException e) {
        return fail(request, response, callback, 504, e.getMessage());
      } catch (BackendException e) {
        log.warn("{} {}: {}", method, path, e.toString());
        return fail(request, response, callback, 500, e.getMessage());
      } catch (RuntimeException e) {
        log.error("{} {} failed", method, path, e);
        return fail(request, response, callback, 500, "internal error: " + e.getClass().getSimpleName());
      }
    }

    private boolean get(String method) {
      if (!HttpMethod.GET.is(method) && !HttpMethod.HEAD.is(method)) {
        throw new MethodNotAllowed();
      }
      return true;
    }

    private boolean infer(Request request, Response response, Callback callback, String model, String version) {
      long t0 = System.nanoTime();
      request.setAttribute(SERVED_MODEL, model);
      // through the model's experiment when the path names no version; an unknown model or version:
      // 404 before the body is read
      dev.swell.abtest.Experiment experiment = version == null ? experiments.get(model) : null;
      Predictor p = experiment == null ? predictor(model, version) : null;
      // the memory the request may take, held until it is answered: a plain body says its length,
      // a compressed or chunked one may grow to the limit
      long declared = request.getLength();
      boolean plain = request.getHeaders().get(HttpHeader.CONTENT_ENCODING) == null;
      long bodyBytes = plain && declared >= 0 ? Math.min(declared, limits.maxBodyBytes()) : limits.maxBodyBytes();
      // large bodies take one of a few slots: parsing megabytes of JSON takes a core for a while,
      // and a dozen at once left small requests waiting over a second for one
      boolean large = bodyBytes > LARGE_BODY_BYTES;
      if (large && !largeBodies.tryAcquire()) {
        response.getHeaders().put(HttpHeader.RETRY_AFTER, 1);
        return fail(request, response, callback, 503, "the server reads " + LARGE_BODY_SLOTS + " bodies over "
            + (LARGE_BODY_BYTES >> 20) + " MiB at once and has as many; retry after 1 s");
      }
      long reserve = BYTES_PER_BODY_BYTE * bodyBytes;
      try {
        if (inFlightBytes.addAndGet(reserve) > limits.maxInFlightBytes()) {
          response.getHeaders().put(HttpHeader.RETRY_AFTER, 1);
          return fail(request, response, callback, 503, "the server holds as many request bodies as its memory budget"
              + " allows; retry after 1 s");
        }
        return inferOrThrow(request, response, callback, model, p, experiment, t0);
      } catch (RuntimeException e) {
        stats.failure(model, e instanceof Served s ? s.version : p != null ? p.version() : "experiment",
            System.nanoTime() - t0);
        throw e instanceof Served s ? s.cause : e;
      } finally {
        inFlightBytes.addAndGet(-reserve);
        if (large) {
          largeBodies.release();
        }
      }
    }

    private boolean inferOrThrow(Request request, Response response, Callback callback, String model, Predictor p,
        dev.swell.abtest.Experiment experiment, long t0) {
      byte[] raw = body(request);
      int headerLength = headerLength(request, raw.length);
      JsonNode body;
      try {
        body = OipJson.readRequest(JSON, raw, headerLength);
      } catch (JsonProcessingException e) {
        throw new OipJson.BadRequest("the body is not JSON: " + e.getOriginalMessage()
            + (headerLength == raw.length ? " (binary data needs the Inference-Header-Content-Length header)" : ""));
      } catch (java.io.IOException e) {
        throw new OipJson.BadRequest("the body could not be read: " + e.getMessage());
      }
      if (body == null || !body.isObject()) {
        throw new OipJson.BadRequest("the body must be a JSON object with \"inputs\"");
      }
      JsonNode inputs = body.get("inputs");
      if (inputs == null || !inputs.isArray() || inputs.isEmpty()) {
        throw new OipJson.BadRequest("\"inputs\" must be a non-empty array");
      }
      ByteBuffer binary = ByteBuffer.wrap(raw, headerLength, raw.length - headerLength).slice();
      NamedTensors.Builder b = NamedTensors.builder();
      java.util.Set<String> names = new java.util.HashSet<>();
      long rows = 1;
      for (JsonNode input : inputs) {
        Tensor t = OipJson.tensor(input, binary);
        String name = input.get("name").asText();
        if (!names.add(name)) {
          throw new OipJson.BadRequest("input '" + name + "' is given twice");
        }
        if (names.size() == 1 && t.rank() > 0) {
          rows = t.dim(0);
        }
        b.put(name, t);
      }
      if (binary.hasRemaining()) {
        throw new OipJson.BadRequest(binary.remaining() + " bytes follow the last binary input; binary_data_size and"
            + " Inference-Header-Content-Length must account for every byte");
      }
      RequestOptions options = options(body, request.getHeaders().get("X-Swell-Unit"), t0);
      options.requestId().ifPresent(id -> request.setAttribute(REQUEST_ID, id));
      Outputs outputs = Outputs.of(body);
      long t1 = System.nanoTime();
      if (experiment != null && options.unitKey().isEmpty()) {
        throw new OipJson.BadRequest("model '" + model + "' is in experiment '" + experiment.key() + "': name the"
            + " request's unit in parameters.unit or the X-Swell-Unit header, or a version in the path");
      }
      Prediction out = experiment != null ? experiment.predict(b.build(), options) : p.predict(b.build(), options);
      long t2 = System.nanoTime();
      request.setAttribute(SERVED_VERSION, out.version());
      out.variant().ifPresent(v -> request.setAttribute(SERVED_VARIANT, v));
      try {
        outputs.check(out);
        writeInference(response, callback, model, out, outputs);
      } catch (RuntimeException e) {
        throw new Served(out.version(), e);
      }
      stats.success(model, out.version(), rows, out.cached(), t1 - t0, t2 - t1, System.nanoTime() - t2);
      return true;
    }
  }

  /** A failure after a version served: counted against that version. */
  private static final class Served extends RuntimeException {
    private static final long serialVersionUID = 1L;
    final String version;
    final RuntimeException cause;

    Served(String version, RuntimeException cause) {
      super(cause.getMessage(), cause, false, false);
      this.version = version;
      this.cause = cause;
    }
  }

  /** The body, decompressed when it says gzip or deflate, never more than the body limit. */
  private byte[] body(Request request) {
    String encoding = request.getHeaders().get(HttpHeader.CONTENT_ENCODING);
    try (InputStream in = decoded(Content.Source.asInputStream(request), encoding)) {
      byte[] raw = in.readNBytes((int) Math.min(Integer.MAX_VALUE - 16, limits.maxBodyBytes()) + 1);
      if (raw.length > limits.maxBodyBytes()) {
        throw new TooLarge();
      }
      return raw;
    } catch (java.util.zip.ZipException e) {
      throw new OipJson.BadRequest("the body is not " + encoding + " data: " + e.getMessage());
    } catch (java.io.IOException e) {
      // the size limit's refusal of the raw body surfaces here as an I/O failure
      String why = String.valueOf(e.getMessage());
      if (why.contains("413") || why.toLowerCase(java.util.Locale.ROOT).contains("too large")) {
        throw new TooLarge();
      }
      throw new OipJson.BadRequest("the body could not be read: " + why);
    }
  }

  private static InputStream decoded(InputStream in, String encoding) throws java.io.IOException {
    if (encoding == null || encoding.isBlank() || encoding.equalsIgnoreCase("identity")) {
      return in;
    }
    if (encoding.equalsIgnoreCase("gzip")) {
      return new java.util.zip.GZIPInputStream(in);
    }
    if (encoding.equalsIgnoreCase("deflate")) {
      return new java.util.zip.InflaterInputStream(in);
    }
    in.close();
    throw new UnsupportedEncoding(encoding);
  }

  /** The length of the JSON part: Inference-Header-Content-Length, or the whole body. */
  private static int headerLength(Request request, int bodyLength) {
    String h = request.getHeaders().get("Inference-Header-Content-Length");
    if (h == null) {
      return bodyLength;
    }
    long n;
    try {
      n = Long.parseLong(h.trim());
    } catch (NumberFormatException e) {
      throw new OipJson.BadRequest("Inference-Header-Content-Length must be a number of bytes, was '" + h + "'");
    }
    if (n == 0) {
      throw new OipJson.BadRequest("Inference-Header-Content-Length 0 (a raw binary request) is not supported; send"
          + " the JSON header before the binary data");
    }
    if (n < 0 || n > bodyLength) {
      throw new OipJson.BadRequest("Inference-Header-Content-Length must be within [1, " + bodyLength
          + "] (the body's length), was " + n);
    }
    return (int) n;
  }

  /** The request's parameters: timeout in µs from arrival as the deadline, priority (0 or 1 high, more low), id. */
  private static RequestOptions options(JsonNode body, String unitHeader, long arrivedNanos) {
    RequestOptions.Builder options = RequestOptions.builder();
    JsonNode unit = body.path("parameters").get("unit");
    if (unit != null && !unit.isTextual()) {
      throw new OipJson.BadRequest("parameters.unit must be a string (the unit an experiment assigns), was " + unit);
    }
    String unitKey = unit != null ? unit.asText() : unitHeader;
    if (unitKey != null && !unitKey.isEmpty()) {
      options.unitKey(unitKey);
    }
    JsonNode id = body.get("id");
    if (id != null && !id.isNull()) {
      if (!id.isTextual()) {
        throw new OipJson.BadRequest("id must be a string, was " + id);
      }
      options.requestId(id.asText());
    }
    JsonNode parameters = body.get("parameters");
    if (parameters != null && !parameters.isObject()) {
      throw new OipJson.BadRequest("parameters must be an object, was " + parameters);
    }
    JsonNode timeout = body.path("parameters").get("timeout");
    if (timeout != null) {
      if (!timeout.isIntegralNumber() || !timeout.canConvertToLong() || timeout.asLong() <= 0
          || timeout.asLong() > Long.MAX_VALUE / 1000) {
        throw new OipJson.BadRequest("parameters.timeout must be a positive whole number of microseconds, was "
            + timeout);
      }
      // counted from the request's arrival, as Triton counts it: reading and parsing the body
      // spend the same budget
      long left = Math.multiplyExact(timeout.asLong(), 1000L) - (System.nanoTime() - arrivedNanos);
      if (left <= 0) {
        throw new DeadlineExceededException("parameters.timeout passed while the request was read", null, null);
      }
      options.timeout(Duration.ofNanos(left));
    }
    JsonNode priority = body.path("parameters").get("priority");
    if (priority != null) {
      if (!priority.isIntegralNumber() || !priority.canConvertToLong() || priority.asLong() < 0) {
        throw new OipJson.BadRequest("parameters.priority must be a non-negative integer (0: default, 1: highest),"
            + " was " + priority);
      }
      options.priority(priority.asLong() <= 1 ? Priority.HIGH : Priority.LOW);
    }
    return options.build();
  }

  /** Which outputs the request asks for, and which of them as binary data. */
  private record Outputs(java.util.Map<String, Boolean> wanted, boolean binaryByDefault) {
    static Outputs of(JsonNode body) {
      JsonNode all = body.path("parameters").get("binary_data_output");
      if (all != null && !all.isBoolean()) {
        throw new OipJson.BadRequest("parameters.binary_data_output must be true or false, was " + all);
      }
      java.util.Map<String, Boolean> wanted = new java.util.LinkedHashMap<>();
      JsonNode requested = body.get("outputs");
      if (requested != null) {
        if (!requested.isArray()) {
          throw new OipJson.BadRequest("outputs must be an array, was " + requested);
        }
        for (JsonNode r : requested) {
          String name = r.path("name").asText("");
          if (name.isEmpty()) {
            throw new OipJson.BadRequest("a requested output has no name");
          }
          JsonNode binary = r.path("parameters").get("binary_data");
          if (binary != null && !binary.isBoolean()) {
            throw new OipJson.BadRequest("output '" + name + "': parameters.binary_data must be true or false, was "
                + binary);
          }
          wanted.put(name, binary == null ? null : binary.asBoolean());
        }
      }
      return new Outputs(wanted, all != null && all.asBoolean());
    }

    void check(Prediction out) {
      for (String w : wanted.keySet()) { // before any output is written
        if (!out.outputs().names().contains(w)) {
          throw new OipJson.BadRequest("the model has no output '" + w + "'; outputs: " + out.outputs().names());
        }
      }
    }

    java.util.List<String> names(Prediction out) {
      return wanted.isEmpty() ? new java.util.ArrayList<>(out.outputs().names()) : new java.util.ArrayList<>(wanted.keySet());
    }

    boolean binary(String name) {
      Boolean b = wanted.get(name);
      return b == null ? binaryByDefault : b;
    }
  }

  private static void writeInference(Response response, Callback callback, String model, Prediction out,
      Outputs outputs) {
    // streamed: a large output is not a tree of a node per element
    java.io.ByteArrayOutputStream json = new java.io.ByteArrayOutputStream(256);
    List<ByteBuffer> binary = new java.util.ArrayList<>();
    long binaryBytes = 0;
    try (com.fasterxml.jackson.core.JsonGenerator g = JSON.getFactory().createGenerator(json)) {
      g.writeStartObject();
      g.writeStringField("model_name", model);
      g.writeStringField("model_version", out.version());
      if (out.requestId().isPresent()) {
        g.writeStringField("id", out.requestId().get());
      }
      if (out.variant().isPresent()) {
        g.writeObjectFieldStart("parameters");
        g.writeStringField("variant", out.variant().get());
        g.writeEndObject();
      }
      g.writeArrayFieldStart("outputs");
      for (String name : outputs.names(out)) {
        Tensor t = out.output(name);
        if (outputs.binary(name)) {
          ByteBuffer bytes = OipBinary.bytes(t);
          g.writeStartObject();
          g.writeStringField("name", name);
          g.writeStringField("datatype", OipJson.datatype(t.dtype()));
          g.writeArrayFieldStart("shape");
          for (long dim : t.shape()) {
            g.writeNumber(dim);
          }
          g.writeEndArray();
          g.writeObjectFieldStart("parameters");
          g.writeNumberField("binary_data_size", bytes.remaining());
          g.writeEndObject();
          g.writeEndObject();
          binary.add(bytes);
          binaryBytes += bytes.remaining();
        } else {
          OipJson.writeOutput(g, name, t);
        }
      }
      g.writeEndArray();
      g.writeEndObject();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    byte[] header = json.toByteArray();
    response.setStatus(200);
    if (binaryBytes == 0) {
      response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
      response.write(true, ByteBuffer.wrap(header), callback);
      return;
    }
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/octet-stream");
    response.getHeaders().put("Inference-Header-Content-Length", header.length);
    response.getHeaders().put(HttpHeader.CONTENT_LENGTH, header.length + binaryBytes);
    // the header, then each output's own bytes as they are (no copy into one buffer), one write
    // after the other
    List<ByteBuffer> parts = new java.util.ArrayList<>(binary.size() + 1);
    parts.add(ByteBuffer.wrap(header));
    binary.stream().filter(ByteBuffer::hasRemaining).forEach(parts::add);
    writeAll(response, parts, 0, callback);
  }

  private static void writeAll(Response response, List<ByteBuffer> parts, int i, Callback callback) {
    boolean last = i == parts.size() - 1;
    response.write(last, parts.get(i), last ? callback
        : Callback.from(() -> writeAll(response, parts, i + 1, callback), callback::failed));
  }

  /** A body over the limit once decompressed. */
  private static final class TooLarge extends RuntimeException {
    private static final long serialVersionUID = 1L;

    TooLarge() {
      super("the body is larger than the server accepts", null, false, false);
    }
  }

  /** A Content-Encoding the server cannot decode. */
  private static final class UnsupportedEncoding extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UnsupportedEncoding(String encoding) {
      super("Content-Encoding '" + encoding + "' is not supported; send gzip, deflate or identity", null, false, false);
    }
  }

  private static final String SERVED_MODEL = "swell.model";
  private static final String SERVED_VERSION = "swell.version";
  private static final String REQUEST_ID = "swell.id";
  private static final String SERVED_VARIANT = "swell.variant";
  private static final Logger requests = LoggerFactory.getLogger("dev.swell.samples.server.requests");
  private static final byte[] OPENAPI = openApiBytes();

  private static byte[] openApiBytes() {
    try (InputStream in = OipServer.class.getResourceAsStream("openapi.json")) {
      if (in == null) {
        throw new IllegalStateException("openapi.json is missing from the jar");
      }
      return in.readAllBytes();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  private static boolean openApi(Response response, Callback callback) {
    response.setStatus(200);
    response.getHeaders().put(HttpHeader.CONTENT_TYPE, "application/json");
    response.write(true, ByteBuffer.wrap(OPENAPI), callback);
    return true;
  }

  /** The route a path takes, as a bounded label for metrics and logs (never the model's name). */
  static String routeOf(String path) {
    if (path.startsWith("/v2/health/") || path.equals("/v2") || path.equals("/metrics") || path.equals("/openapi.json")
        || path.equals("/v2/models/stats") || path.equals("/admin/models")) {
      return path;
    }
    if (path.startsWith("/admin/experiments")) {
      return path.equals("/admin/experiments") ? path
          : path.endsWith("/ramp") ? "/admin/experiments/{key}/ramp" : "/admin/experiments/{key}/stop";
    }
    if (path.startsWith("/admin/")) {
      return path.endsWith("/rollback") ? "/admin/models/{model}/aliases/{alias}/rollback"
          : "/admin/models/{model}/aliases/{alias}";
    }
    Matcher m = MODEL.matcher(path);
    if (!m.matches()) {
      return "other";
    }
    return "/v2/models/{model}" + (m.group(2) == null ? "" : "/versions/{version}")
        + (m.group(3) == null ? "" : m.group(3));
  }

  /** Records a request when its answer is written: the latency histogram and the sampled log line. */
  private final class Observed implements Callback {
    private final Request request;
    private final Response response;
    private final Callback callback;
    private final long t0;

    Observed(Request request, Response response, Callback callback, long t0) {
      this.request = request;
      this.response = response;
      this.callback = callback;
      this.t0 = t0;
    }

    @Override
    public void succeeded() {
      record();
      callback.succeeded();
    }

    @Override
    public void failed(Throwable x) {
      record();
      callback.failed(x);
    }

    @Override
    public InvocationType getInvocationType() {
      return callback.getInvocationType();
    }

    private void record() {
      try {
        long nanos = System.nanoTime() - t0;
        int status = response.getStatus();
        String path = Request.getPathInContext(request);
        String route = custom.containsKey(path) ? path : routeOf(path);
        if (prometheus != null) {
          String method = switch (request.getMethod()) {
            case "GET", "HEAD", "POST", "PUT", "DELETE", "OPTIONS", "PATCH" -> request.getMethod();
            default -> "other"; // a client's own method names stay out of the labels
          };
          timers.computeIfAbsent(route + ' ' + method + ' ' + status, k ->
              io.micrometer.core.instrument.Timer.builder("swell.http.server.requests")
                  .description("HTTP requests by route, method and status")
                  .tags("route", route, "method", method, "status", String.valueOf(status))
                  .publishPercentileHistogram()
                  .register(prometheus))
              .record(nanos, java.util.concurrent.TimeUnit.NANOSECONDS);
        }
        if (status >= 500 || (logSample > 0 && java.util.concurrent.ThreadLocalRandom.current().nextDouble() < logSample)) {
          ObjectNode line = JSON.createObjectNode()
              .put("time", java.time.Instant.now().toString())
              .put("method", request.getMethod().length() > 16 ? "other" : request.getMethod())
              .put("route", route)
              .put("status", status)
              .put("latency_ms", Math.round(nanos / 1e4) / 100.0);
          Object model = request.getAttribute(SERVED_MODEL);
          if (model != null) {
            line.put("model", model.toString());
          }
          Object version = request.getAttribute(SERVED_VERSION);
          if (version != null) {
            line.put("version", version.toString());
          }
          Object variant = request.getAttribute(SERVED_VARIANT);
          if (variant != null) {
            line.put("variant", variant.toString());
          }
          Object id = request.getAttribute(REQUEST_ID);
          if (id != null) {
            line.put("id", id.toString());
          }
          requests.info("{}", line);
        }
      } catch (RuntimeException e) {
        log.warn("recording a request: {}", e.toString()); // never fails the answer
      }
    }
  }

  private static final class MethodNotAllowed extends RuntimeException {
    private static final long serialVersionUID = 1L;
  }

  static boolean json(Response response, Callback callback, int status, JsonNode body) {
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

  private static boolean unauthorized(Request request, Response response, Callback callback, String message) {
    response.getHeaders().put(HttpHeader.WWW_AUTHENTICATE, "Bearer");
    return fail(request, response, callback, 401, message);
  }

  /**
   * Answers an error after reading what is left of the request's body (discarded, up to the body
   * limit): refused before its body was read, a request whose body Jetty found unread closed the
   * connection under a client still sending, which then saw no answer at all.
   */
  static boolean fail(Request request, Response response, Callback callback, int status, String message) {
    try {
      Content.Source.consumeAll(request);
    } catch (Exception e) {
      // over the size limit or cut off: the answer is still sent; Jetty closes the connection
    }
    return error(response, callback, status, message);
  }

  static boolean error(Response response, Callback callback, int status, String message) {
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
