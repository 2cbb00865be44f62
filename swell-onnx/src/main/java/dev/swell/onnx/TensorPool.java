package dev.swell.onnx;

import ai.onnxruntime.OnnxJavaType;
import ai.onnxruntime.OnnxTensor;
import ai.onnxruntime.OrtEnvironment;
import ai.onnxruntime.OrtException;
import dev.swell.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Native tensors lent for the length of one call: a direct buffer with the ONNX tensor made over
 * it, for inputs copied from heap memory and for outputs pinned before a run. A call asking for the
 * element type and shape of a tensor given back earlier gets that tensor again, so the steady state
 * of a model serving one shape allocates nothing here: no direct buffer (native memory, zeroing, a
 * cleaner), no {@code OnnxTensor} and no native create and release. A different shape reuses a
 * buffer large enough, with a new ONNX tensor over it.
 *
 * <p>Lock-free: a few slots per core, each holding one idle lease, probed from a place that depends
 * on the calling thread; a lease is owned by exactly one call between {@link #acquire} and
 * {@link #release}. Buffers larger than {@value #MAX_POOLED} bytes are not kept (such a call
 * amortizes its own allocation). At most {@code slots × MAX_POOLED} bytes stay allocated: 4 MiB on
 * 2 cores, 32 MiB at most.
 */
final class TensorPool {

  /** The largest buffer kept. */
  static final int MAX_POOLED = 256 * 1024;
  /** Slots a thread looks at: as many as the tensors of a call of three inputs and one output. */
  private static final int PROBES = 4;

  /**
   * A direct buffer in native order and the ONNX tensor over its first bytes. Mutable, but owned
   * by one thread at a time (handed over through the pool's atomic slots).
   */
  static final class Lease {
    final ByteBuffer buffer;
    private OnnxTensor tensor;
    private OnnxJavaType type;
    private long[] shape;
    private int bytes;

    private Lease(ByteBuffer buffer) {
      this.buffer = buffer;
    }

    /** The ONNX tensor over the first {@link #bytes()} bytes of {@link #buffer}. */
    OnnxTensor tensor() {
      return tensor;
    }

    /** The tensor's shape: the pool's own array, not to be changed. */
    long[] shape() {
      return shape;
    }

    /** The tensor's byte size. */
    int bytes() {
      return bytes;
    }

    /** Whether the tensor has this type and the shape {@code s}, or if {@code s} is null, that of {@code like}. */
    boolean fits(OnnxJavaType t, long[] s, Tensor like) {
      if (type != t || shape.length != (s != null ? s.length : like.rank())) {
        return false;
      }
      for (int i = 0; i < shape.length; i++) {
        if (shape[i] != (s != null ? s[i] : like.dim(i))) {
          return false;
        }
      }
      return true;
    }

    private void make(OrtEnvironment env, OnnxJavaType t, long[] s, int n) throws OrtException {
      closeTensor();
      buffer.clear().limit(n);
      tensor = OnnxTensor.createTensor(env, buffer, s, t); // over the buffer's memory, no copy
      type = t;
      shape = s;
      bytes = n;
    }

    private void closeTensor() {
      if (tensor != null) {
        tensor.close();
        tensor = null;
      }
    }
  }

  private final AtomicReferenceArray<Lease> slots;
  private final int mask;

  TensorPool(int cores) {
    int n = Integer.highestOneBit(Math.max(16, Math.min(128, cores * 8)) * 2 - 1);
    slots = new AtomicReferenceArray<>(n);
    mask = n - 1;
  }

  private int start() {
    return (int) Thread.currentThread().getId() * PROBES;
  }

  /**
   * Lends a tensor of this type and shape over a direct buffer of {@code bytes} bytes, its contents
   * undefined. Give it back with {@link #release} once nothing uses it.
   *
   * @param shape the dimensions; kept by the lease, so not to be changed afterwards
   */
  Lease acquire(OrtEnvironment env, OnnxJavaType type, long[] shape, int bytes) throws OrtException {
    return acquire(env, type, shape, null, bytes);
  }

  /** {@link #acquire(OrtEnvironment, OnnxJavaType, long[], int)} with the shape of {@code like} (compared without copying it). */
  Lease acquire(OrtEnvironment env, OnnxJavaType type, Tensor like, int bytes) throws OrtException {
    return acquire(env, type, null, like, bytes);
  }

  private Lease acquire(OrtEnvironment env, OnnxJavaType type, long[] shape, Tensor like, int bytes)
      throws OrtException {
    Lease l = bytes <= MAX_POOLED ? take(type, shape, like, bytes) : null;
    if (l != null && l.tensor != null) {
      return l; // the same type and shape: the tensor as it was
    }
    if (l == null) {
      l = new Lease(ByteBuffer.allocateDirect(Math.max(bytes, 1)).order(ByteOrder.nativeOrder()));
    }
    try {
      l.make(env, type, shape != null ? shape : like.shape(), bytes);
    } catch (OrtException | RuntimeException e) {
      release(l);
      throw e;
    }
    return l;
  }

  /** An idle lease of this type and shape, else one whose buffer is large enough (its tensor closed), else null. */
  private Lease take(OnnxJavaType type, long[] shape, Tensor like, int bytes) {
    int start = start();
    for (int k = 0; k < PROBES; k++) {
      int i = (start + k) & mask;
      Lease l = slots.get(i);
      if (l != null && l.fits(type, shape, like) && slots.compareAndSet(i, l, null)) {
        return l;
      }
    }
    for (int k = 0; k < PROBES; k++) {
      int i = (start + k) & mask;
      Lease l = slots.get(i);
      if (l != null && l.buffer.capacity() >= bytes && slots.compareAndSet(i, l, null)) {
        l.closeTensor();
        return l;
      }
    }
    return null;
  }

  /** Takes a lease back; its tensor must not be in use any more. */
  void release(Lease l) {
    if (l.buffer.capacity() > MAX_POOLED) {
      l.closeTensor();
      return;
    }
    int start = start();
    for (int k = 0; k < PROBES; k++) {
      int i = (start + k) & mask;
      if (slots.get(i) == null && slots.compareAndSet(i, null, l)) {
        return;
      }
    }
    // every slot taken: the lease given back last stays, the one it displaces is freed
    Lease old = slots.getAndSet(start & mask, l);
    if (old != null) {
      old.closeTensor();
    }
  }
}
