package dev.swell.samples.server;

import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonToken;
import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * A tensor's JSON {@code data}, flat or nested, read token by token into 9 bytes an element (a
 * long holding the integer or the double's bits, and a byte saying which) instead of a tree of
 * nodes (40 bytes and more an element: a 16 MiB body of numbers made some 160 MB of them, and a
 * few such requests at once exhausted the heap).
 */
final class PackedData {

  static final byte INT = 0;
  static final byte FLOAT = 1;
  static final byte TRUE = 2;
  static final byte FALSE = 3;
  static final byte STRING = 4;
  static final byte BIG = 5; // an integer beyond a long: refused when converted

  private long[] values = new long[16];
  private byte[] kinds = new byte[16];
  private final List<String> strings = new ArrayList<>();
  private int size;

  /**
   * Reads the array (or the single value) the parser is at, leaving it on its last token.
   *
   * @throws OipJson.BadRequest for a null or an object among the elements
   */
  static PackedData read(JsonParser p, String input) throws IOException {
    PackedData d = new PackedData();
    JsonToken t = p.currentToken();
    if (t != JsonToken.START_ARRAY) {
      d.add(p, t, input);
      return d;
    }
    int depth = 1;
    while (depth > 0) {
      t = p.nextToken();
      if (t == null) {
        throw new OipJson.BadRequest("input '" + input + "': data ends before its array does");
      } else if (t == JsonToken.START_ARRAY) {
        depth++;
      } else if (t == JsonToken.END_ARRAY) {
        depth--;
      } else {
        d.add(p, t, input);
      }
    }
    return d;
  }

  private void add(JsonParser p, JsonToken t, String input) throws IOException {
    switch (t) {
      case VALUE_NUMBER_INT -> {
        if (p.getNumberType() == JsonParser.NumberType.BIG_INTEGER) {
          put(BIG, 0);
        } else {
          put(INT, p.getLongValue());
        }
      }
      case VALUE_NUMBER_FLOAT -> put(FLOAT, Double.doubleToRawLongBits(p.getDoubleValue()));
      case VALUE_TRUE -> put(TRUE, 0);
      case VALUE_FALSE -> put(FALSE, 0);
      case VALUE_STRING -> {
        strings.add(p.getText());
        put(STRING, strings.size() - 1);
      }
      default -> throw new OipJson.BadRequest("input '" + input + "': data holds " + (t == JsonToken.VALUE_NULL ? "null"
          : "an object") + ", expected numbers, booleans or strings");
    }
  }

  private void put(byte kind, long value) {
    if (size == values.length) {
      int grown = Math.max(16, size + (size >> 1));
      values = Arrays.copyOf(values, grown);
      kinds = Arrays.copyOf(kinds, grown);
    }
    values[size] = value;
    kinds[size++] = kind;
  }

  int size() {
    return size;
  }

  byte kind(int i) {
    return kinds[i];
  }

  /** The element as a number, or null when it is none. */
  Double number(int i) {
    return switch (kinds[i]) {
      case INT -> (double) values[i];
      case FLOAT -> Double.longBitsToDouble(values[i]);
      default -> null;
    };
  }

  long integer(int i) {
    return values[i];
  }

  String string(int i) {
    return strings.get((int) values[i]);
  }

  /** The element as JSON would show it, for a message. */
  String describe(int i) {
    return switch (kinds[i]) {
      case INT -> Long.toString(values[i]);
      case FLOAT -> Double.toString(Double.longBitsToDouble(values[i]));
      case TRUE -> "true";
      case FALSE -> "false";
      case STRING -> '"' + string(i) + '"';
      default -> "an integer beyond 64 bits";
    };
  }
}
