package dev.swell.onnx;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.concurrent.atomic.AtomicReferenceArray;

/**
 * Direct buffers lent for the length of one call, for inputs whose memory ONNX Runtime cannot
 * read in place (heap buffers). Allocating a direct buffer per call costs a native allocation,
 * zeroing, a cleaner and, later, the collector's reference processing; a lent one costs a copy.
 * Lock-free and allocation-free once warm: a few slots per core, each holding one buffer, probed
 * from the calling thread's slot; a buffer larger than {@value #MAX_POOLED} bytes is not pooled.
 * At most {@code slots × MAX_POOLED} bytes stay allocated.
 */
final class DirectPool {

  /** The largest buffer kept (inputs larger than this amortize their own allocation). */
  static final int MAX_POOLED = 256 * 1024;
  private static final int PROBES = 4;

  private final AtomicReferenceArray<ByteBuffer> slots;
  private final int mask;

  DirectPool(int cores) {
    int n = Integer.highestOneBit(Math.max(8, Math.min(64, cores * 4)) * 2 - 1);
    slots = new AtomicReferenceArray<>(n);
    mask = n - 1;
  }

  /** A direct buffer in native order, position 0, limit {@code bytes}; give it back with {@link #release}. */
  ByteBuffer acquire(int bytes) {
    if (bytes <= MAX_POOLED) {
      int start = (int) Thread.currentThread().getId();
      for (int k = 0; k < PROBES; k++) {
        int i = (start + k) & mask;
        ByteBuffer b = slots.get(i);
        if (b != null && b.capacity() >= bytes && slots.compareAndSet(i, b, null)) {
          b.clear().limit(bytes);
          return b;
        }
      }
    }
    return ByteBuffer.allocateDirect(bytes).order(ByteOrder.nativeOrder());
  }

  /** Takes a buffer back once nothing (no native tensor) uses it any more. */
  void release(ByteBuffer b) {
    if (b.capacity() > MAX_POOLED) {
      return;
    }
    int start = (int) Thread.currentThread().getId();
    for (int k = 0; k < PROBES; k++) {
      int i = (start + k) & mask;
      ByteBuffer held = slots.get(i);
      if (held == null ? slots.compareAndSet(i, null, b)
          : held.capacity() < b.capacity() && slots.compareAndSet(i, held, b)) {
        return; // a smaller one may be dropped: the pool keeps the sizes callers need
      }
    }
  }
}
