package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.api.DType;
import dev.swell.api.Tensor;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.io.ByteArrayOutputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.Locale;
import java.util.zip.GZIPOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

/**
 * Every datatype through a real server, bit for bit: an ONNX Identity model per dtype in the
 * registry, each tensor sent as JSON and as Triton binary data, read back both ways; the binary
 * framing's refusals; gzip bodies; {@code /config} and {@code /stats}.
 */
class OipBinaryDataTest {

  @TempDir static Path dir;
  static Swell swell;
  static OipServer server;
  static final HttpClient HTTP = HttpClient.newHttpClient();
  static final ObjectMapper JSON = new ObjectMapper();

  @BeforeAll
  static void start() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    for (DType d : DType.values()) {
      registry.publish(PublishRequest.builder(model(d)).file(OnnxModels.identity(dir.resolve(d.name()), d)).format("onnx")
          .version(SemVer.parse("1.0.0")).build());
    }
    swell = Swell.builder().repository(registry).build();
    server = OipServer.start(swell, registry, OipServer.Limits.defaults(), "127.0.0.1", 0);
  }

  @AfterAll
  static void stop() {
    server.close();
    swell.close();
  }

  static String model(DType d) {
    return "id-" + d.name().toLowerCase(Locale.ROOT);
  }

  /** Two rows of three elements per dtype, with the edges of each type (NaN only where binary carries it). */
  static Tensor sample(DType d, boolean binary) {
    long[] shape = {2, 3};
    return switch (d) {
      case FLOAT32 -> Tensor.of(new float[] {-0.0f, Float.MIN_VALUE, Float.MAX_VALUE, 0.1f, -3.5e-20f,
          binary ? Float.intBitsToFloat(0x7fc00123) : -1e30f}, shape);
      case FLOAT64 -> Tensor.of(new double[] {-0.0, Double.MIN_VALUE, Double.MAX_VALUE, 0.1, Math.PI,
          binary ? Double.longBitsToDouble(0x7ff8000000000abcL) : -1e300}, shape);
      case FLOAT16 -> Tensor.ofHalf(d, new float[] {-0.0f, 65504f, 6.1035156e-5f, 0.099975586f, -2.5f, 1f}, shape);
      case BFLOAT16 -> Tensor.ofHalf(d, new float[] {-0.0f, 3.3895314e38f, 9.1835e-41f, 0.10009766f, -2.5f, 1f}, shape);
      case INT8 -> Tensor.ofBytes(d, new byte[] {-128, 127, 0, -1, 1, 42}, shape);
      case UINT8 -> Tensor.ofBytes(d, new byte[] {0, (byte) 255, (byte) 128, 1, 127, 42}, shape);
      case INT16 -> Tensor.ofShorts(d, new short[] {Short.MIN_VALUE, Short.MAX_VALUE, 0, -1, 1, 42}, shape);
      case INT32 -> Tensor.of(new int[] {Integer.MIN_VALUE, Integer.MAX_VALUE, 0, -1, 1, 42}, shape);
      case INT64 -> Tensor.of(new long[] {Long.MIN_VALUE, Long.MAX_VALUE, 0, -1, 1, 1L << 53 | 1}, shape);
      case BOOL -> Tensor.of(new boolean[] {true, false, false, true, true, false}, shape);
      case STRING -> Tensor.of(new String[] {"", "a", "żółw", "🐢 turtle", "tab\tand\nnewline", "\"quoted\""}, shape);
    };
  }

  /** A tensor's JSON data as a client reads it back (numbers parsed, not Java floats). */
  static JsonNode jsonData(Tensor t) {
    try {
      return JSON.readTree(OipJson.output("x", t).get("data").toString());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  record Reply(int status, String contentType, String headerLength, byte[] body) {
    JsonNode json() throws Exception {
      int n = headerLength == null ? body.length : Integer.parseInt(headerLength);
      return JSON.readTree(body, 0, n);
    }

    ByteBuffer binary() {
      int n = headerLength == null ? body.length : Integer.parseInt(headerLength);
      return ByteBuffer.wrap(body, n, body.length - n).slice().order(ByteOrder.LITTLE_ENDIAN);
    }
  }

  static Reply post(String path, byte[] body, String... headers) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .POST(HttpRequest.BodyPublishers.ofByteArray(body));
    for (int i = 0; i < headers.length; i += 2) {
      r.header(headers[i], headers[i + 1]);
    }
    HttpResponse<byte[]> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofByteArray());
    return new Reply(res.statusCode(), res.headers().firstValue("content-type").orElse(""),
        res.headers().firstValue("inference-header-content-length").orElse(null), res.body());
  }

  static JsonNode get(String path) throws Exception {
    HttpResponse<String> res = HTTP.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + server.port() + path))
        .build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(200);
    return JSON.readTree(res.body());
  }

  /** A request for one input sent as binary data (or JSON), asking for the output as binary data (or JSON). */
  static byte[][] request(DType d, Tensor t, boolean binaryIn, boolean binaryOut) throws Exception {
    ObjectNode body = JSON.createObjectNode().put("id", "rt");
    ObjectNode input = body.putArray("inputs").addObject().put("name", "x").put("datatype", OipJson.datatype(d));
    input.putArray("shape").add(2).add(3);
    byte[] raw = new byte[0];
    if (binaryIn) {
      ByteBuffer b = OipBinary.bytes(t);
      raw = new byte[b.remaining()];
      b.get(raw);
      input.putObject("parameters").put("binary_data_size", raw.length);
    } else {
      input.set("data", jsonData(t));
    }
    body.putArray("outputs").addObject().put("name", "y").putObject("parameters").put("binary_data", binaryOut);
    byte[] header = JSON.writeValueAsBytes(body);
    byte[] all = Arrays.copyOf(header, header.length + raw.length);
    System.arraycopy(raw, 0, all, header.length, raw.length);
    return new byte[][] {all, String.valueOf(header.length).getBytes(StandardCharsets.US_ASCII)};
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  @DisplayName("every dtype round-trips bit for bit: JSON in and out, binary in and out, and mixed")
  void roundTrip(DType d) throws Exception {
    for (boolean binaryIn : new boolean[] {false, true}) {
      for (boolean binaryOut : new boolean[] {false, true}) {
        Tensor sent = sample(d, binaryIn && binaryOut);
        byte[][] r = request(d, sent, binaryIn, binaryOut);
        Reply reply = binaryIn ? post("/v2/models/" + model(d) + "/infer", r[0], "Inference-Header-Content-Length",
            new String(r[1], StandardCharsets.US_ASCII), "Content-Type", "application/octet-stream")
            : post("/v2/models/" + model(d) + "/infer", r[0], "Content-Type", "application/json");
        String what = d + (binaryIn ? " binary in" : " JSON in") + (binaryOut ? ", binary out" : ", JSON out");
        assertThat(reply.status()).as(what + ": " + new String(reply.body(), StandardCharsets.UTF_8)).isEqualTo(200);
        JsonNode json = reply.json();
        JsonNode y = json.get("outputs").get(0);
        assertThat(y.get("datatype").asText()).isEqualTo(OipJson.datatype(d));
        assertThat(y.get("shape").toString()).isEqualTo("[2,3]");
        assertThat(json.get("id").asText()).isEqualTo("rt");
        if (binaryOut) {
          assertThat(reply.contentType()).isEqualTo("application/octet-stream");
          assertThat(y.has("data")).as(what).isFalse();
          ByteBuffer expected = OipBinary.bytes(sent);
          assertThat(y.get("parameters").get("binary_data_size").asInt()).isEqualTo(expected.remaining());
          assertThat(reply.binary()).as(what + ": the bytes of the tensor sent").isEqualTo(expected);
        } else {
          assertThat(reply.contentType()).startsWith("application/json");
          assertThat(reply.headerLength()).isNull();
          assertThat(y.get("data")).as(what).isEqualTo(jsonData(sent));
        }
      }
    }
  }

  @Test
  @DisplayName("binary_data_output asks for every output as binary; a JSON answer is unchanged without it")
  void binaryDataOutput() throws Exception {
    Tensor t = sample(DType.FLOAT32, false);
    String body = "{\"parameters\":{\"binary_data_output\":true},\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\","
        + "\"shape\":[2,3],\"data\":" + jsonData(t) + "}]}";
    Reply r = post("/v2/models/id-float32/infer", body.getBytes(StandardCharsets.UTF_8));
    assertThat(r.status()).isEqualTo(200);
    assertThat(r.headerLength()).isNotNull();
    assertThat(r.binary()).isEqualTo(OipBinary.bytes(t));
  }

  @Test
  @DisplayName("binary framing errors are 400s naming what is wrong; gzip and deflate bodies are read; others are 415")
  void framingErrors() throws Exception {
    Tensor t = sample(DType.FLOAT32, false);
    byte[][] ok = request(DType.FLOAT32, t, true, false);
    String path = "/v2/models/id-float32/infer";
    String h = new String(ok[1], StandardCharsets.US_ASCII);
    int header = Integer.parseInt(h);
    // the binary bytes without the header: the JSON parser meets them
    assertError(post(path, ok[0]), 400, "Inference-Header-Content-Length");
    assertError(post(path, ok[0], "Inference-Header-Content-Length", "0"), 400, "raw binary request");
    assertError(post(path, ok[0], "Inference-Header-Content-Length", "-3"), 400, "within");
    assertError(post(path, ok[0], "Inference-Header-Content-Length", String.valueOf(ok[0].length + 1)), 400, "within");
    assertError(post(path, ok[0], "Inference-Header-Content-Length", "12abc"), 400, "number of bytes");
    // a byte short, and bytes left over
    assertError(post(path, Arrays.copyOf(ok[0], ok[0].length - 1), "Inference-Header-Content-Length", h), 400,
        "only 23 bytes");
    assertError(post(path, Arrays.copyOf(ok[0], ok[0].length + 5), "Inference-Header-Content-Length", h), 400,
        "5 bytes follow");
    // a size that does not fit the shape, both data and a size, a size that is not a number
    String json = new String(ok[0], 0, header, StandardCharsets.UTF_8);
    assertError(withHeader(path, json.replace("\"binary_data_size\":24", "\"binary_data_size\":20"),
        Arrays.copyOfRange(ok[0], header, header + 20)), 400, "the shape needs 24");
    assertError(withHeader(path, json.replace("\"binary_data_size\":24", "\"binary_data_size\":24},\"data\":[1,2,3,4,5,6],"
        + "\"p\":{\"a\":1"), Arrays.copyOfRange(ok[0], header, ok[0].length)), 400, "both data and");
    assertError(withHeader(path, json.replace("\"binary_data_size\":24", "\"binary_data_size\":\"24\""),
        Arrays.copyOfRange(ok[0], header, ok[0].length)), 400, "non-negative integer");
    // BOOL bytes other than 0 and 1, BYTES lengths past the end, BYTES that are not UTF-8
    assertError(binaryInput("id-bool", "BOOL", new byte[] {0, 1, 2, 0, 1, 0}), 400, "not 0 or 1");
    assertError(binaryInput("id-string", "BYTES", le(1, 'a', 1, 'b', 1, 'c', 1, 'd', 1, 'e', 9, 'f')), 400,
        "says 9 bytes");
    assertError(binaryInput("id-string", "BYTES", le(1, 'a', 1, 'b', 1, 'c', 1, 'd', 1, 'e', 1, 0xff)), 400,
        "not UTF-8");
    assertError(binaryInput("id-string", "BYTES", le(1, 'a', 1, 'b')), 400, "cannot hold 6 elements");
    assertError(post(path, ("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":"
        + jsonData(t) + "}],\"parameters\":{\"binary_data_output\":\"yes\"}}").getBytes(StandardCharsets.UTF_8)), 400,
        "binary_data_output");
    // compressed bodies
    byte[] plain = ("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[2,3],\"data\":" + jsonData(t) + "}]}")
        .getBytes(StandardCharsets.UTF_8);
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      out.write(plain);
    }
    Reply gzip = post(path, gz.toByteArray(), "Content-Encoding", "gzip");
    assertThat(gzip.status()).as(new String(gzip.body(), StandardCharsets.UTF_8)).isEqualTo(200);
    assertThat(gzip.json().get("outputs").get(0).get("data")).isEqualTo(jsonData(t));
    assertError(post(path, plain, "Content-Encoding", "gzip"), 400, "not gzip");
    assertError(post(path, plain, "Content-Encoding", "br"), 415, "br");
  }

  @Test
  @DisplayName("a gzip body that inflates past the body limit is refused with 413 (16 MiB of zeros in 16 KiB)")
  void gzipBomb() throws Exception {
    ByteArrayOutputStream gz = new ByteArrayOutputStream();
    try (GZIPOutputStream out = new GZIPOutputStream(gz)) {
      byte[] zeros = new byte[1 << 20];
      for (int i = 0; i < 17; i++) {
        out.write(zeros);
      }
    }
    assertThat(gz.size()).isLessThan(64 << 10);
    assertError(post("/v2/models/id-float32/infer", gz.toByteArray(), "Content-Encoding", "gzip"), 413, "larger");
  }

  @Test
  @DisplayName("/config says what perf_analyzer reads; /stats counts requests and stages per served version")
  void configAndStats() throws Exception {
    JsonNode config = get("/v2/models/id-string/config");
    assertThat(config.get("max_batch_size").asInt()).isZero();
    assertThat(config.get("input").get(0).get("name").asText()).isEqualTo("x");
    assertThat(config.get("input").get(0).get("data_type").asText()).isEqualTo("TYPE_STRING");
    assertThat(config.get("input").get(0).get("dims").toString()).isEqualTo("[-1,-1]");
    assertThat(get("/v2").get("extensions").toString()).contains("binary_tensor_data", "statistics");

    JsonNode before = get("/v2/models/id-int32/stats").get("model_stats");
    long count = before.isEmpty() ? 0 : before.get(0).get("inference_count").asLong();
    long fails = before.isEmpty() ? 0 : before.get(0).get("inference_stats").get("fail").get("count").asLong();
    Tensor t = sample(DType.INT32, false);
    byte[] body = ("{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT32\",\"shape\":[2,3],\"data\":" + jsonData(t) + "}]}")
        .getBytes(StandardCharsets.UTF_8);
    for (int i = 0; i < 3; i++) {
      assertThat(post("/v2/models/id-int32/infer", body).status()).isEqualTo(200);
    }
    assertThat(post("/v2/models/id-int32/infer", "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"INT32\",\"shape\":[1,1],\"data\":[1.5]}]}"
        .getBytes(StandardCharsets.UTF_8)).status()).isEqualTo(400);
    JsonNode s = get("/v2/models/id-int32/versions/1.0.0/stats").get("model_stats").get(0);
    assertThat(s.get("name").asText()).isEqualTo("id-int32");
    assertThat(s.get("version").asText()).isEqualTo("1.0.0");
    assertThat(s.get("inference_count").asLong() - count).as("rows: 3 requests of 2").isEqualTo(6);
    JsonNode i = s.get("inference_stats");
    assertThat(i.get("fail").get("count").asLong() - fails).isEqualTo(1);
    for (String stage : new String[] {"queue", "compute_input", "compute_infer", "compute_output"}) {
      assertThat(i.get(stage).get("count").asLong()).as(stage).isEqualTo(s.get("execution_count").asLong());
    }
    assertThat(i.get("compute_infer").get("ns").asLong()).isPositive();
    assertThat(i.get("success").get("ns").asLong()).isGreaterThanOrEqualTo(i.get("compute_infer").get("ns").asLong());
    assertThat(get("/v2/models/stats").get("model_stats").findValuesAsText("name")).contains("id-int32");
  }

  static Reply withHeader(String path, String json, byte[] binary) throws Exception {
    byte[] header = json.getBytes(StandardCharsets.UTF_8);
    byte[] all = Arrays.copyOf(header, header.length + binary.length);
    System.arraycopy(binary, 0, all, header.length, binary.length);
    return post(path, all, "Inference-Header-Content-Length", String.valueOf(header.length));
  }

  static Reply binaryInput(String model, String datatype, byte[] bytes) throws Exception {
    String json = "{\"inputs\":[{\"name\":\"x\",\"datatype\":\"" + datatype + "\",\"shape\":[2,3],\"parameters\":"
        + "{\"binary_data_size\":" + bytes.length + "}}]}";
    return withHeader("/v2/models/" + model + "/infer", json, bytes);
  }

  /** BYTES elements: pairs of (length, one byte) as 4-byte little-endian lengths and the byte. */
  static byte[] le(int... lengthAndByte) {
    ByteBuffer b = ByteBuffer.allocate(lengthAndByte.length / 2 * 5).order(ByteOrder.LITTLE_ENDIAN);
    for (int i = 0; i < lengthAndByte.length; i += 2) {
      b.putInt(lengthAndByte[i]).put((byte) lengthAndByte[i + 1]);
    }
    return b.array();
  }

  static void assertError(Reply r, int status, String contains) throws Exception {
    String text = new String(r.body(), StandardCharsets.UTF_8);
    assertThat(r.status()).as(text).isEqualTo(status);
    assertThat(r.contentType()).startsWith("application/json");
    assertThat(JSON.readTree(text).get("error").asText()).contains(contains);
  }
}
