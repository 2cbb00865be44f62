package dev.swell.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import ai.onnxruntime.TensorInfo;
import dev.swell.api.DType;
import dev.swell.api.Tensor;
import java.lang.reflect.Array;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;

/** Converts between Swell tensors and ONNX Runtime tensors. */
final class OnnxTensors {

  private OnnxTensors() {}

  static OnnxJavaType javaType(DType dtype) {
    switch (dtype) {
      case FLOAT32:
        return OnnxJavaType.FLOAT;
      case FLOAT64:
        return OnnxJavaType.DOUBLE;
      case FLOAT16:
        return OnnxJavaType.FLOAT16;
      case BFLOAT16:
        return OnnxJavaType.BFLOAT16;
      case INT8:
        return OnnxJavaType.INT8;
      case UINT8:
        return OnnxJavaType.UINT8;
      case INT16:
        return OnnxJavaType.INT16;
      case INT32:
        return OnnxJavaType.INT32;
      case INT64:
        return OnnxJavaType.INT64;
      case BOOL:
        return OnnxJavaType.BOOL;
      case STRING:
        return OnnxJavaType.STRING;
      default:
        throw new IllegalArgumentException("no ONNX type for " + dtype);
    }
  }

  /** Returns the Swell dtype of an ONNX tensor type, or null if Swell cannot carry it. */
  static DType dtype(TensorInfo.OnnxTensorType type) {
    switch (type) {
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT:
        return DType.FLOAT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_DOUBLE:
        return DType.FLOAT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT16:
        return DType.FLOAT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BFLOAT16:
        return DType.BFLOAT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT8:
        return DType.INT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_UINT8:
        return DType.UINT8;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT16:
        return DType.INT16;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT32:
        return DType.INT32;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_INT64:
        return DType.INT64;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_BOOL:
        return DType.BOOL;
      case ONNX_TENSOR_ELEMENT_DATA_TYPE_STRING:
        return DType.STRING;
      default:
        return null;
    }
  }

  /** The native tensors lent to calls: inputs copied from heap memory, and pinned outputs. */
  static final TensorPool POOL = new TensorPool(Runtime.getRuntime().availableProcessors());

  /**
   * Creates an ONNX tensor over a Swell tensor's memory. A direct buffer is read by ONNX Runtime
   * in place (no copy). A heap buffer (the default for tensors made from arrays) is copied into a
   * native tensor lent by the pool for the length of the call (stored in {@code lent[i]}): ONNX
   * Runtime's typed-ByteBuffer factory cannot take a heap buffer of a type wider than a byte. Give
   * the result back with {@link #release}.
   */
  static OnnxTensor toOnnx(OrtEnvironment env, Tensor t, TensorPool.Lease[] lent, int i) throws OrtException {
    OnnxTensor onnx;
    if (t.dtype() == DType.STRING) {
      onnx = OnnxTensor.createTensor(env, t.toStringArray(), t.shape());
    } else if (t.isDirect()) {
      onnx = OnnxTensor.createTensor(env, t.buffer(), t.shape(), javaType(t.dtype()));
    } else {
      TensorPool.Lease l = POOL.acquire(env, javaType(t.dtype()), t, (int) t.byteSize());
      t.copyTo(l.buffer.clear());
      lent[i] = l;
      onnx = l.tensor();
    }
    OnnxNativeStats.TENSORS.incrementAndGet();
    return onnx;
  }

  /** Gives back an input tensor made by {@link #toOnnx}: closes it, or returns its lease (non-null) to the pool. */
  static void release(OnnxTensor t, TensorPool.Lease lent) {
    if (lent != null) {
      POOL.release(lent);
    } else {
      t.close();
    }
  }

  /** Copies an ONNX output tensor into a Swell tensor (one copy, into a heap buffer). */
  static Tensor fromOnnx(OnnxTensor onnx, String name) throws OrtException {
    TensorInfo info = onnx.getInfo();
    DType dtype = dtype(info.onnxType);
    if (dtype == null) {
      throw new IllegalArgumentException(
          "output '" + name + "' has ONNX type " + info.onnxType + ", which Swell cannot carry");
    }
    long[] shape = info.getShape();
    if (dtype == DType.STRING) {
      String[] flat = new String[Tensor.elementCount(shape)];
      flatten(onnx.getValue(), flat, 0);
      return Tensor.of(flat, shape);
    }
    ByteBuffer bytes = onnx.getByteBuffer().order(ByteOrder.nativeOrder());
    return Tensor.fromBuffer(dtype, bytes, shape);
  }

  private static int flatten(Object value, String[] out, int at) {
    if (value instanceof String) {
      out[at] = (String) value;
      return at + 1;
    }
    int n = Array.getLength(value);
    for (int i = 0; i < n; i++) {
      at = flatten(Array.get(value, i), out, at);
    }
    return at;
  }
}
