package dev.swell.core;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import dev.swell.core.batch.SequencePadding;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Joins requests along the first dimension into one batch, and splits a batch's outputs back:
 * what {@link DynamicBatcher} and {@code Predictor.predictBatch} do with the requests they join.
 * Stateless; thread-safe.
 */
final class TensorBatching {

  private TensorBatching() {}

  /** Returns a request's rows: the first input's first dimension (1 for a scalar). */
  static long rows(NamedTensors inputs) {
    Tensor first = inputs.isEmpty() ? null : inputs.tensor(0);
    return first == null || first.rank() == 0 ? 1 : first.dim(0);
  }

  /** Returns a request's input bytes (strings: two bytes a character). */
  static long inputBytes(NamedTensors inputs) {
    long b = 0;
    for (Tensor t : inputs.tensors()) {
      long size = t.byteSize();
      if (size < 0) {
        size = 0;
        for (String str : t.toStringArray()) {
          size += 2L * str.length();
        }
      }
      b += size;
    }
    return b;
  }

  /**
   * Returns whether two requests can be joined: the same input names, each of rank at least 1,
   * with the same dtypes and dimensions but the first (and but the second for the inputs a
   * padding pads).
   *
   * @param a a request
   * @param b another
   * @param padding the sequence padding, or null
   * @return whether they join
   */
  static boolean joinable(NamedTensors a, NamedTensors b, SequencePadding padding) {
    if (a.size() != b.size()) {
      return false;
    }
    for (int k = 0; k < a.size(); k++) {
      String name = a.name(k);
      Tensor x = a.tensor(k);
      Tensor y = b.get(name);
      if (y == null || x.rank() == 0 || x.rank() != y.rank() || x.dtype() != y.dtype()) {
        return false;
      }
      boolean padded = padding != null && padding.inputs().containsKey(name);
      if (padded && x.rank() < 2) {
        return false;
      }
      for (int i = 1; i < x.rank(); i++) {
        if (x.dim(i) != y.dim(i) && !(padded && i == 1)) {
          return false;
        }
      }
    }
    return true;
  }

  /** Joined inputs, and how to split the joined call's outputs back into each request's. */
  record Joined(NamedTensors inputs, long[] rows, long[] lengths, long paddedLength, SequencePadding padding) {

    /**
     * Splits the joined call's outputs; null if they do not follow the batch (or, padded, the
     * sequence) dimension.
     *
     * @param outputs the joined call's outputs
     * @return one output set per request, or null
     */
    List<NamedTensors> split(NamedTensors outputs) {
      List<NamedTensors> parts = TensorBatching.split(outputs, rows);
      if (parts == null || lengths == null) {
        return parts;
      }
      for (String name : padding.outputs()) {
        Tensor t = outputs.get(name);
        if (t == null || t.rank() < 2 || t.dim(1) != paddedLength) {
          return null;
        }
      }
      List<NamedTensors> cut = new ArrayList<>(parts.size());
      for (int i = 0; i < parts.size(); i++) {
        if (lengths[i] == paddedLength) {
          cut.add(parts.get(i));
          continue;
        }
        NamedTensors.Builder b = NamedTensors.builder();
        for (var e : parts.get(i)) {
          b.put(e.getKey(), padding.outputs().contains(e.getKey())
              ? resize(e.getValue(), lengths[i], 0) : e.getValue());
        }
        cut.add(b.build());
      }
      return cut;
    }
  }

  /**
   * Joins requests for one call: padded to the longest sequence when a padding is given and
   * their lengths differ.
   *
   * @param requests requests {@link #joinable(NamedTensors, NamedTensors, SequencePadding)} with the first
   * @param padding the sequence padding, or null
   * @return the joined inputs and how to split their outputs
   * @throws IllegalArgumentException if a request's padded inputs disagree on its length
   */
  static Joined join(List<NamedTensors> requests, SequencePadding padding) {
    long[] rows = new long[requests.size()];
    for (int i = 0; i < rows.length; i++) {
      rows[i] = rows(requests.get(i));
    }
    if (padding == null) {
      return new Joined(join(requests), rows, null, -1, null);
    }
    long[] lengths = new long[rows.length];
    long longest = 0;
    boolean differ = false;
    for (int i = 0; i < rows.length; i++) {
      NamedTensors r = requests.get(i);
      Tensor m = r.get(padding.maskInput());
      if (m == null || m.rank() < 2) {
        throw new IllegalArgumentException("the attention mask '" + padding.maskInput() + "' is missing or not a sequence");
      }
      lengths[i] = m.dim(1);
      for (String name : padding.inputs().keySet()) {
        Tensor t = r.get(name);
        if (t != null && t.dim(1) != lengths[i]) {
          throw new IllegalArgumentException("input '" + name + "' has length " + t.dim(1) + " where the mask has "
              + lengths[i]);
        }
      }
      differ |= i > 0 && lengths[i] != lengths[0];
      longest = Math.max(longest, lengths[i]);
    }
    if (!differ) {
      return new Joined(join(requests), rows, null, -1, null);
    }
    NamedTensors.Builder out = NamedTensors.builder();
    NamedTensors first = requests.get(0);
    for (int k = 0; k < first.size(); k++) {
      String name = first.name(k);
      Double value = padding.inputs().get(name);
      List<Tensor> parts = new ArrayList<>(requests.size());
      for (NamedTensors r : requests) {
        Tensor t = r.get(name);
        parts.add(value == null || t.dim(1) == longest ? t : resize(t, longest, value));
      }
      out.put(name, concat(parts));
    }
    return new Joined(out.build(), rows, lengths, longest, padding);
  }

  /**
   * Returns a copy of a tensor of rank 2 or more with dimension 1 made {@code length}: cut, or
   * padded with {@code value}.
   */
  static Tensor resize(Tensor t, long length, double value) {
    long[] shape = t.shape();
    long rows = shape[0];
    long from = shape[1];
    long inner = 1;
    for (int i = 2; i < shape.length; i++) {
      inner *= shape[i];
    }
    shape[1] = length;
    long keep = Math.min(from, length) * inner;
    long padCount = Math.max(0, length - from) * inner;
    if (t.dtype() == DType.STRING) {
      String[] src = t.toStringArray();
      String[] dst = new String[Math.toIntExact(rows * length * inner)];
      int at = 0;
      for (long r = 0; r < rows; r++) {
        System.arraycopy(src, (int) (r * from * inner), dst, at, (int) keep);
        at += (int) keep;
        for (long k = 0; k < padCount; k++) {
          dst[at++] = "";
        }
      }
      return Tensor.of(dst, shape);
    }
    int width = t.dtype().byteSize();
    ByteBuffer src = t.buffer();
    ByteBuffer pad = padCount == 0 ? null : element(t.dtype(), value);
    ByteBuffer dst = ByteBuffer.allocate(Math.toIntExact(rows * length * inner * width)).order(ByteOrder.nativeOrder());
    for (long r = 0; r < rows; r++) {
      int start = (int) (r * from * inner * width);
      dst.put(src.slice(start, (int) (keep * width)));
      for (long k = 0; k < padCount; k++) {
        dst.put(pad.duplicate());
      }
    }
    dst.flip();
    return Tensor.fromBuffer(t.dtype(), dst, shape);
  }

  /** One element of a dtype holding a value, as bytes. */
  private static ByteBuffer element(DType dtype, double v) {
    Tensor one = switch (dtype) {
      case FLOAT32 -> Tensor.of(new float[] {(float) v}, 1);
      case FLOAT64 -> Tensor.of(new double[] {v}, 1);
      case FLOAT16, BFLOAT16 -> Tensor.ofHalf(dtype, new float[] {(float) v}, 1);
      case INT8, UINT8 -> Tensor.ofBytes(dtype, new byte[] {(byte) v}, 1);
      case INT16 -> Tensor.ofShorts(dtype, new short[] {(short) v}, 1);
      case INT32 -> Tensor.of(new int[] {(int) v}, 1);
      case INT64 -> Tensor.of(new long[] {(long) v}, 1);
      case BOOL -> Tensor.of(new boolean[] {v != 0}, 1);
      case STRING -> throw new IllegalArgumentException("strings have no element bytes");
    };
    return one.buffer();
  }

  /**
   * Returns whether the requests can be joined: each input has rank at least 1, and all requests
   * agree on every dimension but the first.
   *
   * @param requests at least one request
   * @return whether {@link #join} can join them
   */
  public static boolean joinable(List<NamedTensors> requests) {
    for (int r = 1; r < requests.size(); r++) {
      if (!joinable(requests.get(0), requests.get(r), null)) {
        return false;
      }
    }
    return requests.get(0).tensors().stream().allMatch(t -> t.rank() > 0);
  }


  /**
   * Concatenates each input along dimension 0, in request order.
   *
   * @param requests joinable requests (see {@link #joinable})
   * @return one request holding all their rows
   */
  public static NamedTensors join(List<NamedTensors> requests) {
    NamedTensors.Builder out = NamedTensors.builder();
    NamedTensors first = requests.get(0);
    for (int i = 0; i < first.size(); i++) {
      String name = first.name(i);
      List<Tensor> parts = new ArrayList<>(requests.size());
      for (NamedTensors r : requests) {
        parts.add(r.get(name));
      }
      out.put(name, concat(parts));
    }
    return out.build();
  }

  private static Tensor concat(List<Tensor> parts) {
    Tensor first = parts.get(0);
    long rows = 0;
    int total = 0;
    for (Tensor t : parts) {
      rows += t.dim(0);
      total += t.size();
    }
    long[] shape = first.shape();
    shape[0] = rows;
    if (first.dtype() == DType.STRING) {
      String[] all = new String[total];
      int at = 0;
      for (Tensor t : parts) {
        String[] s = t.toStringArray();
        System.arraycopy(s, 0, all, at, s.length);
        at += s.length;
      }
      return Tensor.of(all, shape);
    }
    ByteBuffer b = ByteBuffer.allocate(total * first.dtype().byteSize()).order(ByteOrder.nativeOrder());
    for (Tensor t : parts) {
      b.put(t.buffer());
    }
    b.flip();
    return Tensor.fromBuffer(first.dtype(), b, shape);
  }

  /**
   * Splits outputs by the row counts of the requests. Returns null if an output's first dimension
   * is not the total row count (the model does not batch along it).
   *
   * @param outputs the outputs of a joined call
   * @param rows each request's rows, in order
   * @return one output set per request, or null
   */
  public static List<NamedTensors> split(NamedTensors outputs, long[] rows) {
    long total = Arrays.stream(rows).sum();
    for (var e : outputs) {
      Tensor t = e.getValue();
      if (t.rank() == 0 || t.dim(0) != total) {
        return null;
      }
    }
    List<NamedTensors.Builder> builders = new ArrayList<>(rows.length);
    for (int i = 0; i < rows.length; i++) {
      builders.add(NamedTensors.builder());
    }
    for (var e : outputs) {
      Tensor t = e.getValue();
      long[] shape = t.shape();
      int rowSize = total == 0 ? 0 : (int) (t.size() / total);
      long start = 0;
      for (int i = 0; i < rows.length; i++) {
        shape[0] = rows[i];
        builders.get(i).put(e.getKey(), slice(t, (int) (start * rowSize), (int) (rows[i] * rowSize), shape));
        start += rows[i];
      }
    }
    List<NamedTensors> result = new ArrayList<>(rows.length);
    for (NamedTensors.Builder b : builders) {
      result.add(b.build());
    }
    return result;
  }

  private static Tensor slice(Tensor t, int from, int count, long[] shape) {
    if (t.dtype() == DType.STRING) {
      return Tensor.of(Arrays.copyOfRange(t.toStringArray(), from, from + count), shape);
    }
    int width = t.dtype().byteSize();
    ByteBuffer b = t.buffer();
    b.position(from * width).limit((from + count) * width);
    // Shares memory with the batch output, which is immutable.
    return Tensor.fromBuffer(t.dtype(), b, shape);
  }
}
