package dev.swell.core;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
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

  /**
   * Returns whether the requests can be joined: each input has rank at least 1, and all requests
   * agree on every dimension but the first.
   *
   * @param requests at least one request
   * @return whether {@link #join} can join them
   */
  public static boolean joinable(List<NamedTensors> requests) {
    NamedTensors first = requests.get(0);
    for (var e : first) {
      Tensor a = e.getValue();
      if (a.rank() == 0) {
        return false;
      }
      for (int r = 1; r < requests.size(); r++) {
        Tensor b = requests.get(r).get(e.getKey());
        if (b == null || !sameTrailingShape(a, b)) {
          return false;
        }
      }
    }
    return true;
  }

  private static boolean sameTrailingShape(Tensor a, Tensor b) {
    if (a.rank() != b.rank() || a.dtype() != b.dtype()) {
      return false;
    }
    for (int i = 1; i < a.rank(); i++) {
      if (a.dim(i) != b.dim(i)) {
        return false;
      }
    }
    return true;
  }

  /**
   * Concatenates each input along dimension 0, in request order.
   *
   * @param requests joinable requests (see {@link #joinable})
   * @return one request holding all their rows
   */
  public static NamedTensors join(List<NamedTensors> requests) {
    NamedTensors.Builder out = NamedTensors.builder();
    for (String name : requests.get(0).names()) {
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
    ByteBuffer b = ByteBuffer.allocateDirect(total * first.dtype().byteSize()).order(ByteOrder.nativeOrder());
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
