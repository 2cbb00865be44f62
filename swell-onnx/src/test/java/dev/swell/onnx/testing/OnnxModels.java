package dev.swell.onnx.testing;

import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
import ai.onnx.proto.OnnxMl.OperatorSetIdProto;
import ai.onnx.proto.OnnxMl.TensorProto;
import ai.onnx.proto.OnnxMl.TensorShapeProto;
import ai.onnx.proto.OnnxMl.TypeProto;
import ai.onnx.proto.OnnxMl.ValueInfoProto;
import com.google.protobuf.ByteString;
import dev.swell.api.DType;
import dev.swell.core.testkit.MlpWeights;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.List;
import java.util.Objects;

/**
 * Writes small ONNX models for tests and benchmarks, built directly from the ONNX protobuf classes
 * that {@code tribuo-util-onnx} ships ({@code ai.onnx.proto.OnnxMl}): an MLP with seeded weights, an
 * Identity and a Cast for every {@link DType}, a two-input two-output model, a fixed-shape model and
 * a model that loads but fails at run time for some inputs.
 *
 * <p>Every model has IR version {@value #IR_VERSION} and imports the default ONNX domain at opset
 * {@value #OPSET}, which ONNX Runtime 1.28 loads. The batch dimension is symbolic (dim_param
 * {@code batch}), so ONNX Runtime reports it as {@code -1}; other variable dimensions are symbolic
 * too ({@code n}, {@code rows}).
 *
 * <p>Each method writes into a folder a file whose name encodes every parameter of the model, and
 * returns the existing file instead when it is already there, so repeated calls (also from
 * concurrent threads or JVMs) are cheap. A file is written to a temporary file in the same folder
 * first and then moved into place, so no reader ever sees a partial model.
 */
public final class OnnxModels {

  /** The ONNX IR version written into every model. */
  public static final long IR_VERSION = 8;

  /** The opset of the default ONNX domain imported by every model. */
  public static final long OPSET = 13;

  private static final String BATCH = "batch";

  private OnnxModels() {}

  /**
   * Writes the MLP {@code y = relu(x·W1 + b1)·W2 + b2} whose weights are
   * {@link MlpWeights#generate(int, int, int, long)}: input {@code x} float32 [batch, in], then
   * Gemm (W1 as an [in, hidden] initializer, transB = 0), Relu, Gemm (W2 [hidden, out]), output
   * {@code y} float32 [batch, out]. {@link MlpWeights#apply(float[], int)} is its oracle.
   *
   * @param dir the folder to write into (created if missing)
   * @param in input width, at least 1
   * @param hidden hidden width, at least 1
   * @param out output width, at least 1
   * @param seed the weights' seed
   * @return the model file, {@code mlp-<in>-<hidden>-<out>-<seed>.onnx}
   * @throws IllegalArgumentException if a width is not positive
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path mlp(Path dir, int in, int hidden, int out, long seed) {
    if (in < 1 || hidden < 1 || out < 1) {
      throw new IllegalArgumentException(
          "widths must be positive: in=" + in + ", hidden=" + hidden + ", out=" + out);
    }
    String fileName = "mlp-" + in + "-" + hidden + "-" + out + "-" + seed + ".onnx";
    return writeIfAbsent(dir, fileName, () -> {
      MlpWeights w = MlpWeights.generate(in, hidden, out, seed);
      return GraphProto.newBuilder()
          .setName("mlp")
          .addInput(value("x", DType.FLOAT32, BATCH, in))
          .addOutput(value("y", DType.FLOAT32, BATCH, out))
          .addInitializer(floats("W1", w.w1(), in, hidden))
          .addInitializer(floats("b1", w.b1(), hidden))
          .addInitializer(floats("W2", w.w2(), hidden, out))
          .addInitializer(floats("b2", w.b2(), out))
          .addNode(gemm("gemm1", "x", "W1", "b1", "h"))
          .addNode(node("Relu", "relu", List.of("h"), "r"))
          .addNode(gemm("gemm2", "r", "W2", "b2", "y"))
          .build();
    });
  }

  /**
   * Writes the MLP of {@link #mlp} with a flaw that fails some requests at run time: the first
   * feature of each row is used, truncated to an integer, as an index into a table of
   * {@code limit} zeros that is added to the output. A row whose first feature is in
   * {@code [-limit, limit)} gets exactly the MLP's answer (plus 0); any other makes ONNX Runtime
   * fail the call ("indices element out of data bounds"), the way a version with a bug fails on
   * some inputs only.
   *
   * @param dir the folder to write into (created if missing)
   * @param in input width, at least 1
   * @param hidden hidden width, at least 1
   * @param out output width, at least 1
   * @param seed the weights' seed
   * @param limit how many indices are valid, at least 1
   * @return the model file, {@code mlp-flawed-<in>-<hidden>-<out>-<seed>-<limit>.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path mlpFailingOn(Path dir, int in, int hidden, int out, long seed, int limit) {
    if (in < 1 || hidden < 1 || out < 1 || limit < 1) {
      throw new IllegalArgumentException("widths and limit must be positive");
    }
    String fileName = "mlp-flawed-" + in + "-" + hidden + "-" + out + "-" + seed + "-" + limit + ".onnx";
    return writeIfAbsent(dir, fileName, () -> {
      MlpWeights w = MlpWeights.generate(in, hidden, out, seed);
      NodeProto first = node("Gather", "first_feature", List.of("x", "zero_index"), "x0").toBuilder()
          .addAttribute(intAttribute("axis", 1)).build();
      NodeProto cast = node("Cast", "to_index", List.of("x0"), "index").toBuilder()
          .addAttribute(intAttribute("to", elemType(DType.INT64))).build();
      return GraphProto.newBuilder()
          .setName("mlp_flawed")
          .addInput(value("x", DType.FLOAT32, BATCH, in))
          .addOutput(value("y", DType.FLOAT32, BATCH, out))
          .addInitializer(floats("W1", w.w1(), in, hidden))
          .addInitializer(floats("b1", w.b1(), hidden))
          .addInitializer(floats("W2", w.w2(), hidden, out))
          .addInitializer(floats("b2", w.b2(), out))
          .addInitializer(longs("zero_index", new long[] {0}, 1))
          .addInitializer(floats("table", new float[limit], limit))
          .addNode(gemm("gemm1", "x", "W1", "b1", "h"))
          .addNode(node("Relu", "relu", List.of("h"), "r"))
          .addNode(gemm("gemm2", "r", "W2", "b2", "mlp"))
          .addNode(first)
          .addNode(cast)
          .addNode(node("Gather", "lookup", List.of("table", "index"), "zeros"))
          .addNode(node("Add", "add", List.of("mlp", "zeros"), "y"))
          .build();
    });
  }

  /**
   * Writes a slow model made of many small steps, so that a call can be stopped between two of
   * them: input {@code x} float32 [batch, width]; {@code steps} times x = tanh(x · W) with a fixed
   * width × width matrix; output {@code y} float32 [batch, width]. ONNX Runtime checks a
   * terminate flag between operators, so a cancelled call stops within one step.
   *
   * @param dir the folder to write into (created if missing)
   * @param width the matrices' size, at least 1
   * @param steps how many MatMul + Tanh pairs, at least 1
   * @return the model file, {@code chain-<width>-<steps>.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path slowChain(Path dir, int width, int steps) {
    if (width < 1 || steps < 1) {
      throw new IllegalArgumentException("width and steps must be positive");
    }
    return writeIfAbsent(dir, "chain-" + width + "-" + steps + ".onnx", () -> {
      float[] w = new float[width * width];
      java.util.SplittableRandom r = new java.util.SplittableRandom(width);
      for (int i = 0; i < w.length; i++) {
        w[i] = (float) (r.nextGaussian() / Math.sqrt(width));
      }
      GraphProto.Builder g = GraphProto.newBuilder().setName("chain")
          .addInput(value("x", DType.FLOAT32, BATCH, width))
          .addOutput(value("y", DType.FLOAT32, BATCH, width))
          .addInitializer(floats("W", w, width, width));
      String prev = "x";
      for (int i = 0; i < steps; i++) {
        String m = "m" + i;
        String t = i == steps - 1 ? "y" : "t" + i;
        g.addNode(node("MatMul", "matmul" + i, List.of(prev, "W"), m));
        g.addNode(node("Tanh", "tanh" + i, List.of(m), t));
        prev = t;
      }
      return g.build();
    });
  }

  /**
   * Writes an Identity whose input is declared with a fixed first dimension of 0: input {@code x}
   * float32 [0, 3], output {@code y} float32 [0, 3]. The only tensor it accepts is empty.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code zero-rows.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path zeroRows(Path dir) {
    return writeIfAbsent(dir, "zero-rows.onnx", () -> GraphProto.newBuilder().setName("zero_rows")
        .addInput(value("x", DType.FLOAT32, 0, 3))
        .addOutput(value("y", DType.FLOAT32, 0, 3))
        .addNode(node("Identity", "identity", List.of("x"), "y"))
        .build());
  }

  /**
   * Writes an Identity whose input and output are declared without any shape (any rank fits),
   * beside a scalar input that must stay rank 0: inputs {@code x} (float32, no shape) and
   * {@code s} (float32 scalar), outputs {@code y} = x and {@code z} = s.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code unshaped.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path unshaped(Path dir) {
    ValueInfoProto noShape = ValueInfoProto.newBuilder().setName("x").setType(TypeProto.newBuilder()
        .setTensorType(TypeProto.Tensor.newBuilder().setElemType(elemType(DType.FLOAT32)))).build();
    ValueInfoProto noShapeOut = noShape.toBuilder().setName("y").build();
    return writeIfAbsent(dir, "unshaped.onnx", () -> GraphProto.newBuilder().setName("unshaped")
        .addInput(noShape)
        .addInput(value("s", DType.FLOAT32))
        .addOutput(noShapeOut)
        .addOutput(value("z", DType.FLOAT32))
        .addNode(node("Identity", "identity_x", List.of("x"), "y"))
        .addNode(node("Identity", "identity_s", List.of("s"), "z"))
        .build());
  }

  /**
   * Writes a single Identity node: input {@code x} and output {@code y}, both of {@code dtype} with
   * shape [batch, n] (both dimensions symbolic). Works for every dtype, including float16, bfloat16,
   * bool and string.
   *
   * @param dir the folder to write into (created if missing)
   * @param dtype the element type of input and output
   * @return the model file, {@code identity-<dtype>.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path identity(Path dir, DType dtype) {
    Objects.requireNonNull(dtype, "dtype");
    return writeIfAbsent(dir, "identity-" + dtype.displayName() + ".onnx", () ->
        GraphProto.newBuilder()
            .setName("identity_" + dtype.displayName())
            .addInput(value("x", dtype, BATCH, "n"))
            .addOutput(value("y", dtype, BATCH, "n"))
            .addNode(node("Identity", "identity", List.of("x"), "y"))
            .build());
  }

  /**
   * Writes a single Cast node: input {@code x} of {@code from}, output {@code y} of {@code to}, both
   * of shape [batch, n]. Cast follows ONNX semantics: float to integer truncates toward zero,
   * anything non-zero becomes {@code true}, numbers to and from strings are formatted and parsed.
   *
   * @param dir the folder to write into (created if missing)
   * @param from the input's element type
   * @param to the output's element type
   * @return the model file, {@code cast-<from>-<to>.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path cast(Path dir, DType from, DType to) {
    Objects.requireNonNull(from, "from");
    Objects.requireNonNull(to, "to");
    String fileName = "cast-" + from.displayName() + "-" + to.displayName() + ".onnx";
    return writeIfAbsent(dir, fileName, () -> {
      NodeProto cast = node("Cast", "cast", List.of("x"), "y").toBuilder()
          .addAttribute(AttributeProto.newBuilder()
              .setName("to")
              .setType(AttributeProto.AttributeType.INT)
              .setI(elemType(to)))
          .build();
      return GraphProto.newBuilder()
          .setName("cast_" + from.displayName() + "_to_" + to.displayName())
          .addInput(value("x", from, BATCH, "n"))
          .addOutput(value("y", to, BATCH, "n"))
          .addNode(cast)
          .build();
    });
  }

  /**
   * Writes a small sequence encoder shaped like a transformer's interface, whose answers at
   * unmasked positions do not depend on padding (so padded batching must give exactly the
   * unbatched answers): inputs {@code input_ids} and {@code attention_mask}, int64 [batch, seq];
   * {@code m = float(input_ids) * float(attention_mask)}; outputs {@code hidden} float32
   * [batch, seq, 4] = {@code m} × (1, -2, 0.5, 3) per position, and {@code pooled} float32 [batch]
   * = the sum of {@code m} over the sequence.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code sequence-encoder.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path sequenceEncoder(Path dir) {
    return writeIfAbsent(dir, "sequence-encoder.onnx", () -> {
      NodeProto castIds = node("Cast", "cast_ids", List.of("input_ids"), "ids_f").toBuilder()
          .addAttribute(intAttribute("to", TensorProto.DataType.FLOAT.getNumber())).build();
      NodeProto castMask = node("Cast", "cast_mask", List.of("attention_mask"), "mask_f").toBuilder()
          .addAttribute(intAttribute("to", TensorProto.DataType.FLOAT.getNumber())).build();
      NodeProto pool = node("ReduceSum", "pool", List.of("m", "axis1"), "pooled").toBuilder()
          .addAttribute(intAttribute("keepdims", 0)).build();
      return GraphProto.newBuilder()
          .setName("sequence_encoder")
          .addInput(value("input_ids", DType.INT64, BATCH, "seq"))
          .addInput(value("attention_mask", DType.INT64, BATCH, "seq"))
          .addOutput(value("hidden", DType.FLOAT32, BATCH, "seq", 4))
          .addOutput(value("pooled", DType.FLOAT32, BATCH))
          .addInitializer(floats("w", new float[] {1f, -2f, 0.5f, 3f}, 4))
          .addInitializer(longs("axis1", new long[] {1}, 1))
          .addInitializer(longs("axis2", new long[] {2}, 1))
          .addNode(castIds)
          .addNode(castMask)
          .addNode(node("Mul", "mask_mul", List.of("ids_f", "mask_f"), "m"))
          .addNode(node("Unsqueeze", "unsqueeze", List.of("m", "axis2"), "m3"))
          .addNode(node("Mul", "widen", List.of("m3", "w"), "hidden"))
          .addNode(pool)
          .build();
    });
  }

  /**
   * Writes a model with two inputs and two outputs: inputs {@code a} and {@code b}, float32
   * [batch, 4]; outputs {@code sum} = a + b (Add) and {@code product} = a × b (Mul), declared in
   * that order.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code two-in-two-out.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path twoInTwoOut(Path dir) {
    return writeIfAbsent(dir, "two-in-two-out.onnx", () ->
        GraphProto.newBuilder()
            .setName("two_in_two_out")
            .addInput(value("a", DType.FLOAT32, BATCH, 4))
            .addInput(value("b", DType.FLOAT32, BATCH, 4))
            .addOutput(value("sum", DType.FLOAT32, BATCH, 4))
            .addOutput(value("product", DType.FLOAT32, BATCH, 4))
            .addNode(node("Add", "add", List.of("a", "b"), "sum"))
            .addNode(node("Mul", "mul", List.of("a", "b"), "product"))
            .build());
  }

  /**
   * Writes an Identity whose shape is fully fixed: input {@code x} float32 [2, 3], output {@code y}
   * float32 [2, 3]. ONNX Runtime refuses any other input shape before running, which makes it the
   * model for testing fixed-dimension validation.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code fixed-2x3.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path fixedShape(Path dir) {
    return writeIfAbsent(dir, "fixed-2x3.onnx", () ->
        GraphProto.newBuilder()
            .setName("fixed_2x3")
            .addInput(value("x", DType.FLOAT32, 2, 3))
            .addOutput(value("y", DType.FLOAT32, 2, 3))
            .addNode(node("Identity", "identity", List.of("x"), "y"))
            .build());
  }

  /**
   * Writes an Identity whose batch dimension is fixed: input {@code x} float32 [batch, width],
   * output {@code y} the same, {@code batch} a number (as a model exported without a dynamic
   * batch axis declares it).
   *
   * @param dir the folder to write into (created if missing)
   * @param batch the fixed first dimension, at least 1
   * @param width the second dimension, at least 1
   * @return the model file, {@code fixed-batch-<batch>x<width>.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path fixedBatch(Path dir, int batch, int width) {
    return writeIfAbsent(dir, "fixed-batch-" + batch + "x" + width + ".onnx", () ->
        GraphProto.newBuilder()
            .setName("fixed_batch")
            .addInput(value("x", DType.FLOAT32, batch, width))
            .addOutput(value("y", DType.FLOAT32, batch, width))
            .addNode(node("Identity", "identity", List.of("x"), "y"))
            .build());
  }

  /**
   * Writes a model that loads and accepts any [batch, n] input by its declared shape but fails in
   * the kernel for some of them: input {@code x} float32 [batch, n] is reshaped to [-1, 5] (output
   * {@code y} float32 [rows, 5]), which ONNX Runtime refuses at run time with an error when
   * batch × n is not a multiple of 5. A [2, 5] input succeeds, a [1, 3] input fails.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code reshape-by-5.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path failingAtRuntime(Path dir) {
    return writeIfAbsent(dir, "reshape-by-5.onnx", () ->
        GraphProto.newBuilder()
            .setName("reshape_by_5")
            .addInput(value("x", DType.FLOAT32, BATCH, "n"))
            .addOutput(value("y", DType.FLOAT32, "rows", 5))
            .addInitializer(longs("shape", new long[] {-1, 5}, 2))
            .addNode(node("Reshape", "reshape", List.of("x", "shape"), "y"))
            .build());
  }

  /**
   * Writes an Identity whose declared output shape is not the one it makes: input {@code x} float32
   * [a, b], output {@code y} declared [b, a] (the dimensions swapped). A model whose declaration
   * lies, as an exporter's mistake makes; any input whose two dimensions differ shows it.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code misdeclared-identity.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path misdeclaredIdentity(Path dir) {
    return writeIfAbsent(dir, "misdeclared-identity.onnx", () ->
        GraphProto.newBuilder()
            .setName("misdeclared_identity")
            .addInput(value("x", DType.FLOAT32, "a", "b"))
            .addOutput(value("y", DType.FLOAT32, "b", "a"))
            .addNode(node("Identity", "identity", List.of("x"), "y"))
            .build());
  }

  /**
   * Writes a NonZero: input {@code x} float32 [n], output {@code y} int64 [1, nnz], the indices of
   * the non-zero elements. The output's size depends on the values, not on the input's shape.
   *
   * @param dir the folder to write into (created if missing)
   * @return the model file, {@code non-zero.onnx}
   * @throws UncheckedIOException if the file cannot be written
   */
  public static Path nonZero(Path dir) {
    return writeIfAbsent(dir, "non-zero.onnx", () ->
        GraphProto.newBuilder()
            .setName("non_zero")
            .addInput(value("x", DType.FLOAT32, "n"))
            .addOutput(value("y", DType.INT64, 1, "nnz"))
            .addNode(node("NonZero", "non_zero", List.of("x"), "y"))
            .build());
  }

  /**
   * Returns the ONNX element type number ({@code TensorProto.DataType}) of a dtype, as used in a
   * model's type descriptions and in Cast's {@code to} attribute.
   *
   * @param dtype the dtype
   * @return the {@code TensorProto.DataType} number, such as 1 for float32
   */
  public static int elemType(DType dtype) {
    TensorProto.DataType t;
    switch (dtype) {
      case FLOAT32:
        t = TensorProto.DataType.FLOAT;
        break;
      case FLOAT64:
        t = TensorProto.DataType.DOUBLE;
        break;
      case FLOAT16:
        t = TensorProto.DataType.FLOAT16;
        break;
      case BFLOAT16:
        t = TensorProto.DataType.BFLOAT16;
        break;
      case INT8:
        t = TensorProto.DataType.INT8;
        break;
      case UINT8:
        t = TensorProto.DataType.UINT8;
        break;
      case INT16:
        t = TensorProto.DataType.INT16;
        break;
      case INT32:
        t = TensorProto.DataType.INT32;
        break;
      case INT64:
        t = TensorProto.DataType.INT64;
        break;
      case BOOL:
        t = TensorProto.DataType.BOOL;
        break;
      case STRING:
        t = TensorProto.DataType.STRING;
        break;
      default:
        throw new IllegalArgumentException("no ONNX element type for " + dtype);
    }
    return t.getNumber();
  }

  // ---------------------------------------------------------------- graph pieces

  /** Describes a tensor value; each dim is a Number (fixed size) or a String (symbolic name). */
  private static ValueInfoProto value(String name, DType dtype, Object... dims) {
    TensorShapeProto.Builder shape = TensorShapeProto.newBuilder();
    for (Object d : dims) {
      TensorShapeProto.Dimension.Builder dim = TensorShapeProto.Dimension.newBuilder();
      if (d instanceof String) {
        dim.setDimParam((String) d);
      } else {
        dim.setDimValue(((Number) d).longValue());
      }
      shape.addDim(dim);
    }
    return ValueInfoProto.newBuilder()
        .setName(name)
        .setType(TypeProto.newBuilder()
            .setTensorType(TypeProto.Tensor.newBuilder()
                .setElemType(elemType(dtype))
                .setShape(shape)))
        .build();
  }

  private static NodeProto node(String op, String name, List<String> inputs, String output) {
    return NodeProto.newBuilder()
        .setOpType(op)
        .setName(name)
        .addAllInput(inputs)
        .addOutput(output)
        .build();
  }

  private static NodeProto gemm(String name, String a, String b, String c, String output) {
    return node("Gemm", name, List.of(a, b, c), output).toBuilder()
        .addAttribute(intAttribute("transA", 0))
        .addAttribute(intAttribute("transB", 0))
        .build();
  }

  private static AttributeProto intAttribute(String name, long value) {
    return AttributeProto.newBuilder()
        .setName(name)
        .setType(AttributeProto.AttributeType.INT)
        .setI(value)
        .build();
  }

  /** A float32 initializer; ONNX raw data is little-endian whatever the platform. */
  private static TensorProto floats(String name, float[] data, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(data.length * Float.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(data);
    return tensor(name, TensorProto.DataType.FLOAT, raw, dims);
  }

  /** An int64 initializer, little-endian raw data. */
  private static TensorProto longs(String name, long[] data, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(data.length * Long.BYTES).order(ByteOrder.LITTLE_ENDIAN);
    raw.asLongBuffer().put(data);
    return tensor(name, TensorProto.DataType.INT64, raw, dims);
  }

  private static TensorProto tensor(
      String name, TensorProto.DataType type, ByteBuffer raw, long... dims) {
    TensorProto.Builder t = TensorProto.newBuilder()
        .setName(name)
        .setDataType(type.getNumber())
        .setRawData(ByteString.copyFrom(raw.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  // ---------------------------------------------------------------- files

  /** Builds a graph lazily, only when its file has to be written. */
  @FunctionalInterface
  private interface GraphSource {
    GraphProto build();
  }

  private static Path writeIfAbsent(Path dir, String fileName, GraphSource graph) {
    Objects.requireNonNull(dir, "dir");
    Path file = dir.resolve(fileName);
    if (Files.isRegularFile(file)) {
      return file;
    }
    ModelProto model = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("swell-tests")
        .setProducerVersion("1")
        .addOpsetImport(OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(graph.build())
        .build();
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, "." + fileName + ".", ".tmp");
      try {
        Files.write(tmp, model.toByteArray());
        moveIntoPlace(tmp, file);
      } finally {
        Files.deleteIfExists(tmp);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException("cannot write the test model " + file, e);
    }
  }

  /** Renames a finished temp file over its target, atomically where the file system can. */
  static void moveIntoPlace(Path tmp, Path file) throws IOException {
    try {
      Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
    } catch (AtomicMoveNotSupportedException e) {
      Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
    }
  }
}
