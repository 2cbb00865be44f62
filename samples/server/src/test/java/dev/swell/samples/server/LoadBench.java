package dev.swell.samples.server;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.core.testkit.Measure;
import dev.swell.onnx.testing.MiniLm;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * The load measurement's helper (run by {@code samples/server/bench/load.sh}): {@code setup DIR}
 * publishes the 16→32→4 MLP and MiniLM-L6-v2-q into {@code DIR/registry} and writes the request
 * bodies wrk sends (JSON, and Triton binary with the JSON header's length beside it);
 * {@code inprocess DIR MODEL THREADS SECONDS} makes the same calls on a predictor in this JVM, the
 * figure the server is compared with (one ONNX Runtime thread per call, as ServerMain's default;
 * {@code -DintraOp=N} for another).
 */
public final class LoadBench {

  private static final ObjectMapper JSON = new ObjectMapper();

  private LoadBench() {}

  /**
   * Runs a step.
   *
   * @param args {@code setup DIR} or {@code inprocess DIR MODEL THREADS SECONDS}
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    Path dir = Path.of(args[1]);
    if (args[0].equals("setup")) {
      setup(dir);
    } else if (args[0].equals("paired")) {
      paired(dir, args[2], Integer.parseInt(args[3]));
    } else {
      inProcess(dir, args[2], Integer.parseInt(args[3]), Integer.parseInt(args[4]));
    }
  }

  static NamedTensors inputs(String model) {
    if (model.equals("mlp")) {
      float[] x = new float[16];
      SplittableRandom r = new SplittableRandom(7);
      for (int i = 0; i < x.length; i++) {
        x[i] = (float) r.nextDouble(-1, 1);
      }
      return NamedTensors.of("x", Tensor.of(x, 1, 16));
    }
    int seq = 128;
    return NamedTensors.builder()
        .put(MiniLm.INPUT_IDS, Tensor.of(MiniLm.flatten(MiniLm.tokenIds(1, seq, 3)), 1, seq))
        .put(MiniLm.ATTENTION_MASK, Tensor.of(MiniLm.flatten(MiniLm.attentionMask(1, seq)), 1, seq))
        .put(MiniLm.TOKEN_TYPE_IDS, Tensor.of(MiniLm.flatten(MiniLm.tokenTypeIds(1, seq)), 1, seq))
        .build();
  }

  private static void setup(Path dir) throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    if (!registry.models().contains("mlp")) {
      registry.publish(PublishRequest.builder("mlp").file(OnnxModels.mlp(dir.resolve("files"), 16, 32, 4, 1))
          .format("onnx").version(SemVer.parse("1.0.0")).build());
      registry.publish(PublishRequest.builder("minilm").file(MiniLm.modelFile()).format("onnx")
          .version(SemVer.parse("1.0.0")).build());
    }
    for (String model : new String[] {"mlp", "minilm"}) {
      for (boolean binary : new boolean[] {false, true}) {
        ObjectNode body = JSON.createObjectNode();
        ArrayNode in = body.putArray("inputs");
        java.io.ByteArrayOutputStream raw = new java.io.ByteArrayOutputStream();
        for (var e : inputs(model)) {
          ObjectNode i = in.addObject().put("name", e.getKey()).put("datatype", OipJson.datatype(e.getValue().dtype()));
          ArrayNode shape = i.putArray("shape");
          for (long d : e.getValue().shape()) {
            shape.add(d);
          }
          if (binary) {
            ByteBuffer b = OipBinary.bytes(e.getValue());
            byte[] bytes = new byte[b.remaining()];
            b.get(bytes);
            raw.write(bytes);
            i.putObject("parameters").put("binary_data_size", bytes.length);
          } else {
            i.set("data", OipJson.output("x", e.getValue()).get("data"));
          }
        }
        if (binary) {
          body.putObject("parameters").put("binary_data_output", true);
        }
        byte[] header = JSON.writeValueAsBytes(body);
        String name = model + (binary ? ".bin" : ".json");
        Files.write(dir.resolve(name), concat(header, raw.toByteArray()));
        if (binary) {
          Files.writeString(dir.resolve(name + ".header"), String.valueOf(header.length));
        }
      }
    }
    System.out.println("set up " + dir);
  }

  /**
   * The HTTP overhead measured in pairs: the same JVM serves the registry on a port and calls the
   * predictor directly, alternating one binary HTTP request (JDK client, one connection) and one
   * direct call, {@code n} times each; the medians and their difference.
   */
  private static void paired(Path dir, String model, int n) throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    NamedTensors in = inputs(model);
    byte[] body = Files.readAllBytes(dir.resolve(model + ".bin"));
    String header = Files.readString(dir.resolve(model + ".bin.header"));
    try (Swell swell = Swell.builder().repository(registry).backendConfig(dev.swell.api.spi.BackendConfig.builder()
        .intraOpThreads(1).build()).build();
         Predictor p = swell.predictor(model, VersionSelector.latest());
         OipServer server = OipServer.builder(swell, registry).host("127.0.0.1").port(0).start()) {
      java.net.http.HttpClient http = java.net.http.HttpClient.newBuilder()
          .version(java.net.http.HttpClient.Version.HTTP_1_1).build();
      java.net.http.HttpRequest request = java.net.http.HttpRequest.newBuilder(
          java.net.URI.create("http://127.0.0.1:" + server.port() + "/v2/models/" + model + "/infer"))
          .header("Inference-Header-Content-Length", header).header("Content-Type", "application/octet-stream")
          .POST(java.net.http.HttpRequest.BodyPublishers.ofByteArray(body)).build();
      long[] direct = new long[n];
      long[] viaHttp = new long[n];
      for (int i = -n / 10; i < n; i++) { // the first tenth warms both paths, not timed
        long t0 = System.nanoTime();
        p.predict(in);
        long t1 = System.nanoTime();
        java.net.http.HttpResponse<byte[]> r = http.send(request, java.net.http.HttpResponse.BodyHandlers.ofByteArray());
        long t2 = System.nanoTime();
        if (r.statusCode() != 200) {
          throw new IllegalStateException("HTTP " + r.statusCode() + ": " + new String(r.body()));
        }
        if (i >= 0) {
          direct[i] = t1 - t0;
          viaHttp[i] = t2 - t1;
        }
      }
      java.net.http.HttpResponse<String> stats = http.send(java.net.http.HttpRequest.newBuilder(java.net.URI.create(
          "http://127.0.0.1:" + server.port() + "/v2/models/" + model + "/stats")).build(),
          java.net.http.HttpResponse.BodyHandlers.ofString());
      var st = JSON.readTree(stats.body()).get("model_stats").get(0).get("inference_stats");
      System.out.printf("server-side means: input %.3f ms, infer %.3f ms, output %.3f ms%n",
          st.get("compute_input").get("ns").asDouble() / st.get("compute_input").get("count").asDouble() / 1e6,
          st.get("compute_infer").get("ns").asDouble() / st.get("compute_infer").get("count").asDouble() / 1e6,
          st.get("compute_output").get("ns").asDouble() / st.get("compute_output").get("count").asDouble() / 1e6);
      double d = Measure.percentile(direct, 50) / 1e6;
      double h = Measure.percentile(viaHttp, 50) / 1e6;
      System.out.printf("paired %s, %d pairs: in-process p50 %.3f ms, HTTP binary p50 %.3f ms: overhead %.3f ms (%.1f%%)%n",
          model, n, d, h, h - d, 100 * (h - d) / d);
    }
  }

  private static byte[] concat(byte[] a, byte[] b) {
    byte[] all = java.util.Arrays.copyOf(a, a.length + b.length);
    System.arraycopy(b, 0, all, a.length, b.length);
    return all;
  }

  private static void inProcess(Path dir, String model, int threads, int seconds) throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    NamedTensors in = inputs(model);
    try (Swell swell = Swell.builder().repository(registry).backendConfig(dev.swell.api.spi.BackendConfig.builder()
        .intraOpThreads(Integer.parseInt(System.getProperty("intraOp", "1"))).build()).build();
         Predictor p = swell.predictor(model, VersionSelector.latest())) {
      for (int i = 0; i < 2_000 && (model.equals("mlp") || i < 50); i++) {
        p.predict(in);
      }
      AtomicBoolean running = new AtomicBoolean(true);
      ExecutorService pool = Executors.newFixedThreadPool(threads);
      java.util.List<Future<long[]>> parts = new java.util.ArrayList<>();
      for (int t = 0; t < threads; t++) {
        parts.add(pool.submit(() -> {
          long[] took = new long[1 << 22];
          int n = 0;
          while (running.get() && n < took.length) {
            long t0 = System.nanoTime();
            p.predict(in);
            took[n++] = System.nanoTime() - t0;
          }
          return java.util.Arrays.copyOf(took, n);
        }));
      }
      Thread.sleep(TimeUnit.SECONDS.toMillis(seconds));
      running.set(false);
      long count = 0;
      java.util.List<long[]> all = new java.util.ArrayList<>();
      for (Future<long[]> f : parts) {
        long[] part = f.get();
        all.add(part);
        count += part.length;
      }
      pool.shutdown();
      long[] merged = new long[(int) count];
      int at = 0;
      for (long[] part : all) {
        System.arraycopy(part, 0, merged, at, part.length);
        at += part.length;
      }
      System.out.printf("in-process %s, %d threads: %.0f requests/s, p50 %.3f ms, p99 %.3f ms%n", model, threads,
          count / (double) seconds, Measure.percentile(merged, 50) / 1e6, Measure.percentile(merged.clone(), 99) / 1e6);
    }
  }
}
