package dev.swell.onnx;

import java.io.BufferedInputStream;
import java.io.EOFException;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashSet;
import java.util.Set;

/**
 * Which graph inputs of an ONNX file declare a shape. ONNX Runtime's Java API reports "no shape"
 * and "a scalar" alike (an empty shape); the model's protobuf tells them apart: a
 * {@code TypeProto.Tensor} without its {@code shape} field accepts any rank. Read by streaming the
 * file and skipping everything but {@code ModelProto.graph (7) → GraphProto.input (11) →
 * ValueInfoProto.name (1) / type (2) → TypeProto.tensor_type (1) → shape (2)}; initializers and
 * nodes are skipped by their length, so a large model is not read into memory.
 */
final class OnnxGraphInputs {

  private OnnxGraphInputs() {}

  /**
   * Returns the names of the graph inputs whose tensor type carries a shape.
   *
   * @throws IOException if the file cannot be read or is not a well-formed protobuf
   */
  static Set<String> shaped(Path file) throws IOException {
    Set<String> out = new HashSet<>();
    try (Reader r = new Reader(new BufferedInputStream(Files.newInputStream(file), 1 << 16))) {
      long end = Long.MAX_VALUE;
      while (r.pos < end) {
        long tag = r.varintOrEnd();
        if (tag < 0) {
          break;
        }
        int field = (int) (tag >>> 3);
        int wire = (int) (tag & 7);
        if (field == 7 && wire == 2) { // graph
          long graphEnd = r.pos + r.varint();
          while (r.pos < graphEnd) {
            long t = r.varint();
            if ((t >>> 3) == 11 && (t & 7) == 2) { // input: ValueInfoProto
              long viEnd = r.pos + r.varint();
              String name = null;
              boolean shape = false;
              while (r.pos < viEnd) {
                long vt = r.varint();
                if ((vt >>> 3) == 1 && (vt & 7) == 2) {
                  name = r.string();
                } else if ((vt >>> 3) == 2 && (vt & 7) == 2) { // TypeProto
                  long typeEnd = r.pos + r.varint();
                  while (r.pos < typeEnd) {
                    long tt = r.varint();
                    if ((tt >>> 3) == 1 && (tt & 7) == 2) { // tensor_type
                      long tensorEnd = r.pos + r.varint();
                      while (r.pos < tensorEnd) {
                        long et = r.varint();
                        if ((et >>> 3) == 2 && (et & 7) == 2) {
                          shape = true;
                        }
                        r.skip((int) (et & 7));
                      }
                    } else {
                      r.skip((int) (tt & 7));
                    }
                  }
                } else {
                  r.skip((int) (vt & 7));
                }
              }
              if (name != null && shape) {
                out.add(name);
              }
            } else {
              r.skip((int) (t & 7));
            }
          }
          return out;
        }
        r.skip(wire);
      }
    }
    return out;
  }

  /** Reads protobuf wire format from a stream, tracking the position. */
  private static final class Reader implements AutoCloseable {
    private final InputStream in;
    long pos;

    Reader(InputStream in) {
      this.in = in;
    }

    private int read() throws IOException {
      int b = in.read();
      if (b < 0) {
        throw new EOFException("the model file ends inside a protobuf field");
      }
      pos++;
      return b;
    }

    long varintOrEnd() throws IOException {
      int b = in.read();
      if (b < 0) {
        return -1;
      }
      pos++;
      long v = b & 0x7f;
      int shift = 7;
      while ((b & 0x80) != 0) {
        b = read();
        v |= (long) (b & 0x7f) << shift;
        shift += 7;
        if (shift > 63) {
          throw new IOException("a protobuf varint is too long");
        }
      }
      return v;
    }

    long varint() throws IOException {
      long v = varintOrEnd();
      if (v < 0) {
        throw new EOFException("the model file ends inside a protobuf field");
      }
      return v;
    }

    String string() throws IOException {
      long n = varint();
      if (n > 1 << 20) {
        throw new IOException("an input name of " + n + " bytes");
      }
      byte[] b = in.readNBytes((int) n);
      if (b.length != n) {
        throw new EOFException("the model file ends inside a name");
      }
      pos += n;
      return new String(b, java.nio.charset.StandardCharsets.UTF_8);
    }

    void skip(int wire) throws IOException {
      long n;
      switch (wire) {
        case 0:
          varint();
          return;
        case 1:
          n = 8;
          break;
        case 2:
          n = varint();
          break;
        case 5:
          n = 4;
          break;
        default:
          throw new IOException("unsupported protobuf wire type " + wire);
      }
      long left = n;
      while (left > 0) {
        long s = in.skip(left);
        if (s <= 0) {
          if (in.read() < 0) {
            throw new EOFException("the model file ends inside a protobuf field");
          }
          s = 1;
        }
        left -= s;
      }
      pos += n;
    }

    @Override
    public void close() throws IOException {
      in.close();
    }
  }
}
