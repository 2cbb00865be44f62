package dev.swell.onnx.testing;

import ai.onnx.proto.OnnxMl;
import ai.onnx.proto.OnnxMl.AttributeProto;
import ai.onnx.proto.OnnxMl.GraphProto;
import ai.onnx.proto.OnnxMl.ModelProto;
import ai.onnx.proto.OnnxMl.NodeProto;
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

/**
 * Writes small ONNX models from Java, for tests and benchmarks: an MLP with seeded weights, an
 * Identity and a Cast for every dtype, a two-input two-output model, a fixed-shape model and one
 * that fails at run time for some inputs. Models use IR version 8 and opset 13; the batch
 * dimension is symbolic ({@code batch}), so ONNX Runtime reports it as dynamic.
 *
 * <p>Each method writes (atomically) into a folder a file whose name encodes its parameters, and
 * reuses that file when it exists.
 */
public final class OnnxModels {

  private static final long IR_VERSION = 8;
  private static final long OPSET = 13;

  private OnnxModels() {}

  /**
   * Writes the MLP {@code y = relu(x·W1 + b1)·W2 + b2} with {@link MlpWeights} from a seed: input
   * {@code x} float32 [batch, in], output {@code y} float32 [batch, out].
   *
   * @param dir the folder
   * @param in input width
   * @param hidden hidden width
   * @param out output width
   * @param seed the weights' seed
   * @return the model file
   */
  public static Path mlp(Path dir, int in, int hidden, int out, long seed) {
    MlpWeights w = MlpWeights.generate(in, hidden, out, seed);
    GraphProto graph = GraphProto.newBuilder()
        .setName("mlp")
        .addInput(value("x", DType.FLOAT32, "batch", in))
        .addOutput(value("y", DType.FLOAT32, "batch", out))
        .addInitializer(floats("W1", w.w1(), in, hidden))
        .addInitializer(floats("b1", w.b1(), hidden))
        .addInitializer(floats("W2", w.w2(), hidden, out))
        .addInitializer(floats("b2", w.b2(), out))
        .addNode(node("Gemm", List.of("x", "W1", "b1"), "h"))
        .addNode(node("Relu", List.of("h"), "r"))
        .addNode(node("Gemm", List.of("r", "W2", "b2"), "y"))
        .build();
    return write(dir, "mlp-" + in + "-" + hidden + "-" + out + "-" + seed + ".onnx", graph);
  }

  /**
   * Writes an Identity: input {@code x} [batch, n] of a dtype, output {@code y} the same.
   *
   * @param dir the folder
   * @param dtype the element type
   * @return the model file
   */
  public static Path identity(Path dir, DType dtype) {
    GraphProto graph = GraphProto.newBuilder()
        .setName("identity")
        .addInput(value("x", dtype, "batch", "n"))
        .addOutput(value("y", dtype, "batch", "n"))
        .addNode(node("Identity", List.of("x"), "y"))
        .build();
    return write(dir, "identity-" + dtype.displayName() + ".onnx", graph);
  }

  /**
   * Writes a Cast: input {@code x} [batch, n] of one dtype, output {@code y} of another.
   *
   * @param dir the folder
   * @param from the input's element type
   * @param to the output's element type
   * @return the model file
   */
  public static Path cast(Path dir, DType from, DType to) {
    NodeProto cast = node("Cast", List.of("x"), "y").toBuilder()
        .addAttribute(AttributeProto.newBuilder().setName("to")
            .setType(AttributeProto.AttributeType.INT).setI(elemType(to)))
        .build();
    GraphProto graph = GraphProto.newBuilder()
        .setName("cast")
        .addInput(value("x", from, "batch", "n"))
        .addOutput(value("y", to, "batch", "n"))
        .addNode(cast)
        .build();
    return write(dir, "cast-" + from.displayName() + "-" + to.displayName() + ".onnx", graph);
  }

  /**
   * Writes a model of two inputs, {@code a} and {@code b} (float32 [batch, 4]), and two outputs,
   * {@code sum} = a + b and {@code product} = a × b, in that order.
   *
   * @param dir the folder
   * @return the model file
   */
  public static Path twoInTwoOut(Path dir) {
    GraphProto graph = GraphProto.newBuilder()
        .setName("two_in_two_out")
        .addInput(value("a", DType.FLOAT32, "batch", 4))
        .addInput(value("b", DType.FLOAT32, "batch", 4))
        .addOutput(value("sum", DType.FLOAT32, "batch", 4))
        .addOutput(value("product", DType.FLOAT32, "batch", 4))
        .addNode(node("Add", List.of("a", "b"), "sum"))
        .addNode(node("Mul", List.of("a", "b"), "product"))
        .build();
    return write(dir, "two-in-two-out.onnx", graph);
  }

  /**
   * Writes an Identity with a fully fixed shape: input {@code x} float32 [2, 3], output {@code y}.
   *
   * @param dir the folder
   * @return the model file
   */
  public static Path fixedShape(Path dir) {
    GraphProto graph = GraphProto.newBuilder()
        .setName("fixed")
        .addInput(value("x", DType.FLOAT32, 2, 3))
        .addOutput(value("y", DType.FLOAT32, 2, 3))
        .addNode(node("Identity", List.of("x"), "y"))
        .build();
    return write(dir, "fixed-2x3.onnx", graph);
  }

  /**
   * Writes a model that loads but fails at run time for some inputs: input {@code x} float32
   * [batch, n] reshaped to [-1, 5], which ONNX Runtime refuses when batch × n is not a multiple of
   * 5.
   *
   * @param dir the folder
   * @return the model file
   */
  public static Path failingAtRuntime(Path dir) {
    ByteBuffer shape = ByteBuffer.allocate(16).order(ByteOrder.LITTLE_ENDIAN);
    shape.putLong(-1).putLong(5).flip();
    GraphProto graph = GraphProto.newBuilder()
        .setName("reshape_by_5")
        .addInput(value("x", DType.FLOAT32, "batch", "n"))
        .addOutput(value("y", DType.FLOAT32, "rows", 5))
        .addInitializer(TensorProto.newBuilder().setName("shape")
            .setDataType(TensorProto.DataType.INT64.getNumber()).addDims(2)
            .setRawData(ByteString.copyFrom(shape)))
        .addNode(node("Reshape", List.of("x", "shape"), "y"))
        .build();
    return write(dir, "reshape-by-5.onnx", graph);
  }

  /**
   * Returns the ONNX element type number of a dtype.
   *
   * @param dtype the dtype
   * @return the {@code TensorProto.DataType} number
   */
  public static int elemType(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return TensorProto.DataType.FLOAT.getNumber();
      case FLOAT64:
        return TensorProto.DataType.DOUBLE.getNumber();
      case FLOAT16:
        return TensorProto.DataType.FLOAT16.getNumber();
      case BFLOAT16:
        return TensorProto.DataType.BFLOAT16.getNumber();
      case INT8:
        return TensorProto.DataType.INT8.getNumber();
      case UINT8:
        return TensorProto.DataType.UINT8.getNumber();
      case INT16:
        return TensorProto.DataType.INT16.getNumber();
      case INT32:
        return TensorProto.DataType.INT32.getNumber();
      case INT64:
        return TensorProto.DataType.INT64.getNumber();
      case BOOL:
        return TensorProto.DataType.BOOL.getNumber();
      case STRING:
        return TensorProto.DataType.STRING.getNumber();
      default:
        throw new IllegalArgumentException(String.valueOf(dtype));
    }
  }

  /** A value description; each dim is an Integer (fixed) or a String (symbolic). */
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
        .setType(TypeProto.newBuilder().setTensorType(
            TypeProto.Tensor.newBuilder().setElemType(elemType(dtype)).setShape(shape)))
        .build();
  }

  private static NodeProto node(String op, List<String> inputs, String output) {
    return NodeProto.newBuilder()
        .setOpType(op)
        .setName(op + "_" + output)
        .addAllInput(inputs)
        .addOutput(output)
        .build();
  }

  private static TensorProto floats(String name, float[] data, long... dims) {
    ByteBuffer raw = ByteBuffer.allocate(data.length * 4).order(ByteOrder.LITTLE_ENDIAN);
    raw.asFloatBuffer().put(data);
    TensorProto.Builder t = TensorProto.newBuilder()
        .setName(name)
        .setDataType(TensorProto.DataType.FLOAT.getNumber())
        .setRawData(ByteString.copyFrom(raw.array()));
    for (long d : dims) {
      t.addDims(d);
    }
    return t.build();
  }

  private static Path write(Path dir, String fileName, GraphProto graph) {
    Path file = dir.resolve(fileName);
    if (Files.exists(file)) {
      return file;
    }
    ModelProto model = ModelProto.newBuilder()
        .setIrVersion(IR_VERSION)
        .setProducerName("swell-tests")
        .addOpsetImport(OnnxMl.OperatorSetIdProto.newBuilder().setDomain("").setVersion(OPSET))
        .setGraph(graph)
        .build();
    try {
      Files.createDirectories(dir);
      Path tmp = Files.createTempFile(dir, fileName, ".tmp");
      Files.write(tmp, model.toByteArray());
      try {
        Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      } catch (AtomicMoveNotSupportedException e) {
        Files.move(tmp, file, StandardCopyOption.REPLACE_EXISTING);
      }
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
