package dev.swell.samples.server;

import dev.swell.api.DType;
import dev.swell.api.Tensor;
import java.io.ByteArrayOutputStream;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.CharBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CharsetDecoder;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;

/**
 * Triton's binary tensor data extension: tensors as raw bytes after the JSON header of a request
 * or response, little-endian, row-major, without padding; BOOL one byte (0 or 1) an element; BYTES
 * a 4-byte little-endian length before each element's bytes. Swell's strings are text, so BYTES
 * elements must be UTF-8 (others are refused, never replaced).
 */
final class OipBinary {

  private OipBinary() {}

  /**
   * Reads one input's {@code size} bytes from the front of {@code rest}, which moves past them.
   *
   * @throws OipJson.BadRequest when the bytes are missing or do not hold the shape's elements
   */
  static Tensor read(String name, DType dtype, long[] shape, long count, long size, ByteBuffer rest) {
    if (size > rest.remaining()) {
      throw new OipJson.BadRequest("input '" + name + "': binary_data_size " + size + " but only " + rest.remaining()
          + " bytes follow the JSON header (is Inference-Header-Content-Length right?)");
    }
    ByteBuffer slice = rest.slice(rest.position(), (int) size).order(ByteOrder.LITTLE_ENDIAN);
    rest.position(rest.position() + (int) size);
    if (dtype == DType.STRING) {
      return strings(name, shape, count, slice);
    }
    long expected = count > size ? -1 : count * dtype.byteSize(); // -1: more elements than bytes
    if (size != expected) {
      throw new OipJson.BadRequest("input '" + name + "' (" + OipJson.datatype(dtype) + " " + java.util.Arrays.toString(shape)
          + "): binary_data_size is " + size + " bytes, the shape needs " + (expected < 0 ? "more" : expected));
    }
    if (dtype == DType.BOOL) {
      for (int i = 0; i < size; i++) {
        byte b = slice.get(i);
        if (b != 0 && b != 1) {
          throw new OipJson.BadRequest("input '" + name + "' (BOOL): byte " + i + " is " + (b & 0xff) + ", not 0 or 1");
        }
      }
    }
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN) {
      return Tensor.fromBuffer(dtype, slice, shape); // the body's bytes, not copied
    }
    ByteBuffer swapped = ByteBuffer.allocate((int) size).order(ByteOrder.nativeOrder());
    int width = dtype.byteSize();
    for (int i = 0; i < size; i += width) {
      switch (width) {
        case 1 -> swapped.put(slice.get(i));
        case 2 -> swapped.putShort(slice.getShort(i));
        case 4 -> swapped.putInt(slice.getInt(i));
        default -> swapped.putLong(slice.getLong(i));
      }
    }
    return Tensor.fromBuffer(dtype, swapped.flip(), shape);
  }

  private static Tensor strings(String name, long[] shape, long count, ByteBuffer b) {
    if (count * 4 > b.remaining()) {
      throw new OipJson.BadRequest("input '" + name + "' (BYTES): " + b.remaining() + " bytes cannot hold " + count
          + " elements (4 bytes of length each at least)");
    }
    CharsetDecoder utf8 = StandardCharsets.UTF_8.newDecoder().onMalformedInput(CodingErrorAction.REPORT)
        .onUnmappableCharacter(CodingErrorAction.REPORT);
    String[] out = new String[(int) count];
    for (int i = 0; i < count; i++) {
      if (b.remaining() < 4) {
        throw new OipJson.BadRequest("input '" + name + "' (BYTES): element " + i + "'s length is cut off");
      }
      long length = Integer.toUnsignedLong(b.getInt());
      if (length > b.remaining()) {
        throw new OipJson.BadRequest("input '" + name + "' (BYTES): element " + i + " says " + length + " bytes, "
            + b.remaining() + " remain");
      }
      ByteBuffer element = b.slice(b.position(), (int) length);
      b.position(b.position() + (int) length);
      try {
        CharBuffer text = utf8.reset().decode(element);
        out[i] = text.toString();
      } catch (CharacterCodingException e) {
        throw new OipJson.BadRequest("input '" + name + "' (BYTES): element " + i + " is not UTF-8 text (Swell's"
            + " strings are text)");
      }
    }
    if (b.hasRemaining()) {
      throw new OipJson.BadRequest("input '" + name + "' (BYTES): " + b.remaining() + " bytes left after its " + count
          + " elements");
    }
    return Tensor.of(out, shape);
  }

  /**
   * Returns a tensor's elements as the extension's bytes.
   *
   * @param t any tensor
   * @return little-endian elements, or length-prefixed UTF-8 strings
   */
  static ByteBuffer bytes(Tensor t) {
    if (t.dtype() == DType.STRING) {
      ByteArrayOutputStream out = new ByteArrayOutputStream();
      ByteBuffer length = ByteBuffer.allocate(4).order(ByteOrder.LITTLE_ENDIAN);
      for (String s : t.toStringArray()) {
        byte[] utf8 = s.getBytes(StandardCharsets.UTF_8);
        out.write(length.putInt(0, utf8.length).array(), 0, 4);
        out.write(utf8, 0, utf8.length);
      }
      return ByteBuffer.wrap(out.toByteArray());
    }
    ByteBuffer b = t.buffer();
    if (ByteOrder.nativeOrder() == ByteOrder.LITTLE_ENDIAN || t.dtype().byteSize() == 1) {
      return b;
    }
    ByteBuffer le = ByteBuffer.allocate(b.remaining()).order(ByteOrder.LITTLE_ENDIAN);
    int width = t.dtype().byteSize();
    for (int i = 0; i < b.remaining(); i += width) {
      switch (width) {
        case 2 -> le.putShort(b.getShort(i));
        case 4 -> le.putInt(b.getInt(i));
        default -> le.putLong(b.getLong(i));
      }
    }
    return le.flip();
  }
}
