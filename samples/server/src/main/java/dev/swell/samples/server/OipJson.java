package dev.swell.samples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.api.DType;
import dev.swell.api.Signature;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The Open Inference Protocol v2's JSON for tensors and signatures: datatype names, shapes with
 * -1 for variable dimensions, and row-major {@code data}, flat or nested, read into Swell tensors
 * with every element checked (type, range, count) and written back exactly.
 */
final class OipJson {

  private static final JsonNodeFactory F = JsonNodeFactory.instance;
  private static final com.fasterxml.jackson.databind.ObjectMapper MAPPER = new com.fasterxml.jackson.databind.ObjectMapper();

  private OipJson() {}

  /** A request the client got wrong: answered with 400 and the message. */
  static final class BadRequest extends RuntimeException {
    private static final long serialVersionUID = 1L;

    BadRequest(String message) {
      super(message);
    }
  }

  /** The protocol's name of a Swell dtype. */
  static String datatype(DType d) {
    return switch (d) {
      case FLOAT32 -> "FP32";
      case FLOAT64 -> "FP64";
      case FLOAT16 -> "FP16";
      case BFLOAT16 -> "BF16";
      case INT8 -> "INT8";
      case UINT8 -> "UINT8";
      case INT16 -> "INT16";
      case INT32 -> "INT32";
      case INT64 -> "INT64";
      case BOOL -> "BOOL";
      case STRING -> "BYTES";
    };
  }

  /** The Swell dtype of a protocol datatype name. */
  static DType dtype(String name, String input) {
    if (name == null) {
      throw new BadRequest("input '" + input + "' has no datatype");
    }
    return switch (name.toUpperCase(Locale.ROOT)) {
      case "FP32" -> DType.FLOAT32;
      case "FP64" -> DType.FLOAT64;
      case "FP16" -> DType.FLOAT16;
      case "BF16" -> DType.BFLOAT16;
      case "INT8" -> DType.INT8;
      case "UINT8" -> DType.UINT8;
      case "INT16" -> DType.INT16;
      case "INT32" -> DType.INT32;
      case "INT64" -> DType.INT64;
      case "BOOL" -> DType.BOOL;
      case "BYTES" -> DType.STRING;
      case "UINT16", "UINT32", "UINT64" -> throw new BadRequest("input '" + input + "': datatype " + name
          + " is not supported (ONNX Runtime's Java API has no unsigned tensors wider than 8 bits); send INT32 or"
          + " INT64");
      default -> throw new BadRequest("input '" + input + "': unknown datatype '" + name + "'; expected one of FP32,"
          + " FP64, FP16, BF16, INT8, UINT8, INT16, INT32, INT64, BOOL, BYTES");
    };
  }

  /** Model metadata: name, versions, platform, inputs and outputs. */
  static ObjectNode metadata(String model, List<String> versions, Signature signature) {
    ObjectNode o = F.objectNode();
    o.put("name", model);
    ArrayNode vs = o.putArray("versions");
    versions.forEach(vs::add);
    o.put("platform", "onnx_onnxv1");
    o.set("inputs", specs(signature.inputs()));
    o.set("outputs", specs(signature.outputs()));
    return o;
  }

  /**
   * Triton's model configuration, as much of it as Swell knows and clients read: {@code
   * max_batch_size} 0 (the dims are the full shapes, -1 where variable), inputs and outputs with
   * their {@code TYPE_*} data types.
   */
  static ObjectNode config(String model, Signature signature) {
    ObjectNode o = F.objectNode();
    o.put("name", model).put("platform", "onnxruntime_onnx").put("backend", "onnxruntime").put("max_batch_size", 0);
    o.set("input", configSpecs(signature.inputs()));
    o.set("output", configSpecs(signature.outputs()));
    return o;
  }

  private static ArrayNode configSpecs(List<TensorSpec> specs) {
    ArrayNode a = F.arrayNode();
    for (JsonNode s : specs(specs)) {
      String datatype = s.get("datatype").asText();
      ObjectNode t = a.addObject();
      t.put("name", s.get("name").asText());
      t.put("data_type", "TYPE_" + ("BYTES".equals(datatype) ? "STRING" : datatype));
      t.set("dims", s.get("shape"));
    }
    return a;
  }

  private static ArrayNode specs(List<TensorSpec> specs) {
    ArrayNode a = F.arrayNode();
    for (TensorSpec s : specs) {
      ObjectNode t = a.addObject();
      t.put("name", s.name());
      t.put("datatype", datatype(s.dtype()));
      ArrayNode shape = t.putArray("shape");
      if (s.hasShape()) {
        for (int i = 0; i < s.rank(); i++) {
          shape.add(s.isDynamic(i) ? -1 : s.dim(i));
        }
      } else {
        shape.add(-1); // any rank: the protocol has no word for it; one variable dimension
      }
    }
    return a;
  }

  /**
   * Reads one request input into a tensor, from its JSON {@code data} or, with
   * {@code parameters.binary_data_size}, from the front of the binary part of the body.
   *
   * @param input the input's JSON object
   * @param binary the bytes after the JSON header not read yet (empty without binary data)
   */
  static Tensor tensor(JsonNode input, java.nio.ByteBuffer binary) {
    if (!input.isObject()) {
      throw new BadRequest("each input must be a JSON object, was " + input);
    }
    String name = input.path("name").asText(null);
    if (name == null || name.isEmpty()) {
      throw new BadRequest("an input has no name");
    }
    DType dtype = dtype(input.path("datatype").isTextual() ? input.get("datatype").asText() : null, name);
    JsonNode shapeNode = input.get("shape");
    if (shapeNode == null || !shapeNode.isArray()) {
      throw new BadRequest("input '" + name + "' has no shape array");
    }
    long[] shape = new long[shapeNode.size()];
    long count = 1;
    for (int i = 0; i < shape.length; i++) {
      JsonNode d = shapeNode.get(i);
      if (!d.canConvertToLong() || !d.isIntegralNumber() || d.asLong() < 0) {
        throw new BadRequest("input '" + name + "': shape " + shapeNode + " must hold non-negative integers");
      }
      shape[i] = d.asLong();
      try {
        count = Math.multiplyExact(count, shape[i]);
      } catch (ArithmeticException e) {
        throw new BadRequest("input '" + name + "': shape " + shapeNode + " holds more elements than a long counts");
      }
    }
    JsonNode data = input.get("data");
    JsonNode size = input.path("parameters").get("binary_data_size");
    if (data != null && size != null) {
      throw new BadRequest("input '" + name + "' sets both data and parameters.binary_data_size; set one");
    }
    if (size != null) {
      if (!size.isIntegralNumber() || !size.canConvertToLong() || size.asLong() < 0) {
        throw new BadRequest("input '" + name + "': parameters.binary_data_size must be a non-negative integer, was "
            + size);
      }
      return OipBinary.read(name, dtype, shape, count, size.asLong(), binary);
    }
    if (data == null) {
      throw new BadRequest("input '" + name + "' has neither data nor parameters.binary_data_size");
    }
    if (!(data.isPojo() && ((com.fasterxml.jackson.databind.node.POJONode) data).getPojo() instanceof PackedData flat)) {
      throw new IllegalStateException("input '" + name + "': data not read by readRequest");
    }
    if (flat.size() != count) {
      throw new BadRequest("input '" + name + "': shape " + shapeNode + " holds " + count + " elements, data has "
          + flat.size());
    }
    int n = flat.size();
    switch (dtype) {
      case FLOAT32 -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = (float) number(flat, i, name);
        }
        return Tensor.of(v, shape);
      }
      case FLOAT64 -> {
        double[] v = new double[n];
        for (int i = 0; i < n; i++) {
          v[i] = number(flat, i, name);
        }
        return Tensor.of(v, shape);
      }
      case FLOAT16, BFLOAT16 -> {
        float[] v = new float[n];
        for (int i = 0; i < n; i++) {
          v[i] = (float) number(flat, i, name);
        }
        return Tensor.ofHalf(dtype, v, shape);
      }
      case INT8, UINT8 -> {
        byte[] v = new byte[n];
        long lo = dtype == DType.INT8 ? Byte.MIN_VALUE : 0;
        long hi = dtype == DType.INT8 ? Byte.MAX_VALUE : 255;
        for (int i = 0; i < n; i++) {
          v[i] = (byte) integer(flat, i, name, lo, hi);
        }
        return Tensor.ofBytes(dtype, v, shape);
      }
      case INT16 -> {
        short[] v = new short[n];
        for (int i = 0; i < n; i++) {
          v[i] = (short) integer(flat, i, name, Short.MIN_VALUE, Short.MAX_VALUE);
        }
        return Tensor.ofShorts(dtype, v, shape);
      }
      case INT32 -> {
        int[] v = new int[n];
        for (int i = 0; i < n; i++) {
          v[i] = (int) integer(flat, i, name, Integer.MIN_VALUE, Integer.MAX_VALUE);
        }
        return Tensor.of(v, shape);
      }
      case INT64 -> {
        long[] v = new long[n];
        for (int i = 0; i < n; i++) {
          v[i] = integer(flat, i, name, Long.MIN_VALUE, Long.MAX_VALUE);
        }
        return Tensor.of(v, shape);
      }
      case BOOL -> {
        boolean[] v = new boolean[n];
        for (int i = 0; i < n; i++) {
          byte k = flat.kind(i);
          if (k != PackedData.TRUE && k != PackedData.FALSE) {
            throw new BadRequest("input '" + name + "' (BOOL): element " + i + " is " + flat.describe(i)
                + ", not true or false");
          }
          v[i] = k == PackedData.TRUE;
        }
        return Tensor.of(v, shape);
      }
      case STRING -> {
        String[] v = new String[n];
        for (int i = 0; i < n; i++) {
          if (flat.kind(i) != PackedData.STRING) {
            throw new BadRequest("input '" + name + "' (BYTES): element " + i + " is " + flat.describe(i)
                + ", not a string");
          }
          v[i] = flat.string(i);
        }
        return Tensor.of(v, shape);
      }
      default -> throw new IllegalStateException(dtype.toString());
    }
  }

  private static double number(PackedData d, int i, String input) {
    Double v = d.number(i);
    if (v == null) {
      throw new BadRequest("input '" + input + "': " + d.describe(i) + " is not a number");
    }
    return v;
  }

  private static long integer(PackedData d, int i, String input, long lo, long hi) {
    if (d.kind(i) != PackedData.INT) {
      throw new BadRequest("input '" + input + "': " + d.describe(i) + " is not an integer");
    }
    long x = d.integer(i);
    if (x < lo || x > hi) {
      throw new BadRequest("input '" + input + "': " + x + " is outside [" + lo + ", " + hi + "]");
    }
    return x;
  }

  /**
   * Reads a request body's JSON: a tree, except each input's {@code data}, which is read token by
   * token into a {@link PackedData} (held in a POJO node).
   *
   * @throws BadRequest when it is not one JSON object
   */
  static ObjectNode readRequest(com.fasterxml.jackson.databind.ObjectMapper mapper, byte[] raw, int length)
      throws java.io.IOException {
    try (com.fasterxml.jackson.core.JsonParser p = mapper.getFactory().createParser(raw, 0, length)) {
      if (p.nextToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
        throw new BadRequest("the body must be a JSON object with \"inputs\"");
      }
      ObjectNode root = F.objectNode();
      while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
        String field = p.currentName();
        com.fasterxml.jackson.core.JsonToken t = p.nextToken();
        if (field.equals("inputs") && t == com.fasterxml.jackson.core.JsonToken.START_ARRAY) {
          ArrayNode inputs = root.putArray("inputs");
          while (p.nextToken() != com.fasterxml.jackson.core.JsonToken.END_ARRAY) {
            inputs.add(readInput(mapper, p));
          }
        } else {
          root.set(field, mapper.readTree(p));
        }
      }
      if (p.nextToken() != null) {
        throw new BadRequest("the JSON object is followed by more data (binary data needs the"
            + " Inference-Header-Content-Length header)");
      }
      return root;
    }
  }

  private static JsonNode readInput(com.fasterxml.jackson.databind.ObjectMapper mapper,
      com.fasterxml.jackson.core.JsonParser p) throws java.io.IOException {
    if (p.currentToken() != com.fasterxml.jackson.core.JsonToken.START_OBJECT) {
      return mapper.readTree(p); // refused by tensor(), which names it
    }
    ObjectNode input = F.objectNode();
    while (p.nextToken() == com.fasterxml.jackson.core.JsonToken.FIELD_NAME) {
      String field = p.currentName();
      p.nextToken();
      if (field.equals("data")) {
        input.set("data", F.pojoNode(PackedData.read(p, input.path("name").asText("?"))));
      } else {
        input.set(field, mapper.readTree(p));
      }
    }
    return input;
  }

  /**
   * Streams one output tensor's JSON (name, datatype, shape, flat row-major data) as {@link
   * #output} builds it, without a node per element.
   */
  static void writeOutput(com.fasterxml.jackson.core.JsonGenerator g, String name, Tensor t) throws java.io.IOException {
    g.writeStartObject();
    g.writeStringField("name", name);
    g.writeStringField("datatype", datatype(t.dtype()));
    g.writeArrayFieldStart("shape");
    for (long d : t.shape()) {
      g.writeNumber(d);
    }
    g.writeEndArray();
    g.writeArrayFieldStart("data");
    switch (t.dtype()) {
      case FLOAT32, FLOAT16, BFLOAT16 -> {
        for (float f : t.toFloatArray()) {
          g.writeNumber(f);
        }
      }
      case FLOAT64 -> {
        for (double d : t.toDoubleArray()) {
          g.writeNumber(d);
        }
      }
      case INT8 -> {
        for (byte b : t.toByteArray()) {
          g.writeNumber(b);
        }
      }
      case UINT8 -> {
        for (byte b : t.toByteArray()) {
          g.writeNumber(b & 0xff);
        }
      }
      case INT16 -> {
        for (short v : t.toShortArray()) {
          g.writeNumber(v);
        }
      }
      case INT32 -> {
        for (int v : t.toIntArray()) {
          g.writeNumber(v);
        }
      }
      case INT64 -> {
        for (long v : t.toLongArray()) {
          g.writeNumber(v);
        }
      }
      case BOOL -> {
        for (boolean v : t.toBooleanArray()) {
          g.writeBoolean(v);
        }
      }
      case STRING -> {
        for (String v : t.toStringArray()) {
          g.writeString(v);
        }
      }
      default -> throw new IllegalStateException(t.dtype().toString());
    }
    g.writeEndArray();
    g.writeEndObject();
  }

  /** One output tensor's JSON as a tree (what {@link #writeOutput} streams). */
  static ObjectNode output(String name, Tensor t) {
    java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
    try (com.fasterxml.jackson.core.JsonGenerator g = MAPPER.getFactory().createGenerator(bytes)) {
      writeOutput(g, name, t);
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
    try {
      return (ObjectNode) MAPPER.readTree(bytes.toByteArray());
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

}
