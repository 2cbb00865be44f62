package dev.swell.spark;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.SpecializedGetters;
import org.apache.spark.sql.catalyst.expressions.UnsafeArrayData;
import org.apache.spark.sql.catalyst.util.ArrayData;
import org.apache.spark.sql.catalyst.util.GenericArrayData;
import org.apache.spark.sql.types.ArrayType;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;
import org.apache.spark.sql.types.StructField;
import org.apache.spark.sql.types.StructType;
import org.apache.spark.unsafe.types.UTF8String;

/**
 * Maps Spark columns to model tensors and back. A column of scalars feeds an input of rank 1
 * ({@code [batch]}), an array column one of rank 2, an array of arrays one of rank 3; elements
 * convert only where the value is kept exactly (an int column feeds int64 or float64, a double
 * column never feeds float32). Outputs become columns the same way round.
 */
final class Columns {

  private Columns() {}

  /** Spark element types a column may hold. */
  enum Element {
    BYTE, SHORT, INT, LONG, FLOAT, DOUBLE, BOOLEAN, STRING;

    static Element of(DataType t) {
      if (t.equals(DataTypes.ByteType)) return BYTE;
      if (t.equals(DataTypes.ShortType)) return SHORT;
      if (t.equals(DataTypes.IntegerType)) return INT;
      if (t.equals(DataTypes.LongType)) return LONG;
      if (t.equals(DataTypes.FloatType)) return FLOAT;
      if (t.equals(DataTypes.DoubleType)) return DOUBLE;
      if (t.equals(DataTypes.BooleanType)) return BOOLEAN;
      if (t instanceof org.apache.spark.sql.types.StringType) return STRING; // collated strings too
      return null;
    }

    /** Whether every value of this element type is exactly a value of the tensor type. */
    boolean fits(DType d) {
      switch (d) {
        case FLOAT32: return this == FLOAT;
        case FLOAT64: return this == DOUBLE || this == FLOAT || this == INT || this == SHORT || this == BYTE;
        case INT64: return this == LONG || this == INT || this == SHORT || this == BYTE;
        case INT32: return this == INT || this == SHORT || this == BYTE;
        case INT16: return this == SHORT || this == BYTE;
        case INT8: return this == BYTE;
        case BOOL: return this == BOOLEAN;
        case STRING: return this == STRING;
        default: return false;
      }
    }
  }

  /** Tensor types swell-spark feeds, and the Spark column type each takes from a model. */
  static DataType sparkType(DType d) {
    switch (d) {
      case FLOAT32: case FLOAT16: case BFLOAT16: return DataTypes.FloatType;
      case FLOAT64: return DataTypes.DoubleType;
      case INT64: return DataTypes.LongType;
      case INT32: return DataTypes.IntegerType;
      case INT16: case UINT8: return DataTypes.ShortType;
      case INT8: return DataTypes.ByteType;
      case BOOL: return DataTypes.BooleanType;
      case STRING: return DataTypes.StringType;
      default: throw new IllegalArgumentException("no Spark type for " + d);
    }
  }

  static String describe(DataType t) {
    return t.simpleString();
  }

  /** One model input fed from one column. */
  static final class InputBinding implements Serializable {
    private static final long serialVersionUID = 1L;
    final String input;
    final String column;
    final int index;
    final int depth; // 0 scalar, 1 array, 2 array of arrays
    final DType dtype;
    final long[] rowDims; // per-row dims from the model: -1 where dynamic
    final boolean elementsNullable;
    final Element element;
    /** Whether the model fixes this input's batch dimension at 1: one row a call. */
    boolean batchOfOne() {
      return batchOne;
    }

    private boolean batchOne;

    private InputBinding(String input, String column, int index, int depth, DType dtype, long[] rowDims,
        boolean elementsNullable, Element element) {
      this.element = element;
      this.input = input;
      this.column = column;
      this.index = index;
      this.depth = depth;
      this.dtype = dtype;
      this.rowDims = rowDims;
      this.elementsNullable = elementsNullable;
    }

    /** Checks a column against a model input and binds them, or says what does not fit. */
    static InputBinding bind(String model, String version, TensorSpec spec, String column, StructType schema) {
      int index;
      try {
        index = schema.fieldIndex(column);
      } catch (IllegalArgumentException e) {
        throw new ColumnMismatchException(model, version, column, spec.name(), "a column of that name",
            "no such column among " + Arrays.toString(schema.fieldNames()));
      }
      StructField field = schema.fields()[index];
      DataType t = field.dataType();
      int depth = 0;
      boolean elementsNullable = false;
      while (t instanceof ArrayType) {
        elementsNullable |= ((ArrayType) t).containsNull();
        t = ((ArrayType) t).elementType();
        depth++;
      }
      DType dtype = spec.dtype();
      Element element = Element.of(t);
      String want = expected(spec);
      if (t.typeName().equals("vector")) {
        throw new ColumnMismatchException(model, version, column, spec.name(), want,
            "an ML vector; turn it into an array first: org.apache.spark.ml.functions.vector_to_array");
      }
      if (element == null || depth > 2) {
        throw new ColumnMismatchException(model, version, column, spec.name(), want,
            describe(field.dataType()) + " (swell-spark maps numbers, booleans, strings and arrays of them,"
            + " up to arrays of arrays)");
      }
      if (!element.fits(dtype)) {
        throw new ColumnMismatchException(model, version, column, spec.name(), want,
            describe(field.dataType()) + ", whose " + element.name().toLowerCase(java.util.Locale.ROOT)
            + " values are not all exact " + dtype.displayName() + " values; cast the column if that is meant");
      }
      long[] rowDims;
      if (spec.hasShape()) {
        long[] shape = spec.shape();
        if (shape.length != depth + 1) {
          throw new ColumnMismatchException(model, version, column, spec.name(), want,
              describe(field.dataType()) + ": " + (depth == 0 ? "a scalar" : "nested " + depth + " deep")
              + " per row, where the input has rank " + shape.length + " (" + (shape.length - 1)
              + " dimension(s) a row)");
        }
        if (shape[0] > 1) {
          throw new ColumnMismatchException(model, version, column, spec.name(), want,
              "rows batched along dimension 0, which this input fixes at " + shape[0] + "; swell-spark needs a"
              + " dynamic batch dimension (or one of 1: a row a call); export the model with a dynamic batch axis");
        }
        rowDims = Arrays.copyOfRange(shape, 1, shape.length);
      } else {
        rowDims = new long[depth];
        Arrays.fill(rowDims, TensorSpec.DYNAMIC);
      }
      InputBinding b = new InputBinding(spec.name(), column, index, depth, dtype, rowDims, elementsNullable, element);
      b.batchOne = spec.hasShape() && spec.shape()[0] == 1;
      return b;
    }

    static String expected(TensorSpec spec) {
      return spec.dtype().displayName() + (spec.hasShape() ? shape(spec.shape()) : "[any shape]");
    }

    /**
     * The first null in this column of a row: the value itself, or an element; null if none.
     *
     * @return a description of the null, or null
     */
    String nullIn(InternalRow row) {
      if (row.isNullAt(index)) {
        return "null";
      }
      if (depth == 0 || !elementsNullable) {
        return null;
      }
      ArrayData outer = row.getArray(index);
      for (int i = 0; i < outer.numElements(); i++) {
        if (outer.isNullAt(i)) {
          return "a null at element " + i;
        }
        if (depth == 2) {
          ArrayData inner = outer.getArray(i);
          for (int j = 0; j < inner.numElements(); j++) {
            if (inner.isNullAt(j)) {
              return "a null at element [" + i + "][" + j + "]";
            }
          }
        }
      }
      return null;
    }

    /** The per-row dimensions of this column in a row. */
    private long[] dims(String model, String version, InternalRow row) {
      if (depth == 0) {
        return new long[0];
      }
      ArrayData outer = row.getArray(index);
      if (depth == 1) {
        return new long[] {outer.numElements()};
      }
      long width = -1;
      for (int i = 0; i < outer.numElements(); i++) {
        int w = outer.getArray(i).numElements();
        if (width >= 0 && w != width) {
          throw new ColumnMismatchException(model, version, column, input, expected(),
              "a row whose inner arrays differ in length (" + width + " and " + w + ")");
        }
        width = w;
      }
      return new long[] {outer.numElements(), Math.max(width, 0)};
    }

    /** Builds this input's tensor from a batch of rows, none of them null here. */
    Tensor tensor(String model, String version, List<InternalRow> rows) {
      int n = rows.size();
      long[] dims = null; // per-row dims of the first row; every row must agree
      for (int r = 0; r < n; r++) {
        long[] d = dims(model, version, rows.get(r));
        for (int k = 0; k < d.length; k++) {
          if (rowDims[k] >= 0 && d[k] != rowDims[k]) {
            throw new ColumnMismatchException(model, version, column, input, expected(),
                "a row of " + shape(d) + " (dimension " + (k + 1) + " must be " + rowDims[k] + ")");
          }
        }
        if (dims == null) {
          dims = d;
        } else if (!Arrays.equals(dims, d)) {
          throw new ColumnMismatchException(model, version, column, input, expected(),
              "rows of " + shape(dims) + " and " + shape(d) + " in one batch; a batch is one tensor, so its"
              + " rows must have one shape: pad them to one length");
        }
      }
      int per = 1;
      for (long x : dims) {
        per = Math.multiplyExact(per, Math.toIntExact(x));
      }
      long[] shape = new long[dims.length + 1];
      shape[0] = n;
      System.arraycopy(dims, 0, shape, 1, dims.length);
      int total = Math.multiplyExact(per, n);
      Object dest = newArray(total);
      int at = 0;
      for (InternalRow row : rows) {
        if (depth == 0) {
          put(row, index, dest, at++);
        } else if (depth == 1) {
          at = copy(row.getArray(index), dest, at);
        } else {
          ArrayData outer = row.getArray(index);
          for (int i = 0; i < outer.numElements(); i++) {
            at = copy(outer.getArray(i), dest, at);
          }
        }
      }
      switch (dtype) {
        case FLOAT32: return Tensor.of((float[]) dest, shape);
        case FLOAT64: return Tensor.of((double[]) dest, shape);
        case INT64: return Tensor.of((long[]) dest, shape);
        case INT32: return Tensor.of((int[]) dest, shape);
        case INT16: return Tensor.ofShorts(DType.INT16, (short[]) dest, shape);
        case INT8: return Tensor.ofBytes(DType.INT8, (byte[]) dest, shape);
        case BOOL: return Tensor.of((boolean[]) dest, shape);
        case STRING: return Tensor.of((String[]) dest, shape);
        default: throw new IllegalStateException("unbound dtype " + dtype);
      }
    }

    private Object newArray(int n) {
      switch (dtype) {
        case FLOAT32: return new float[n];
        case FLOAT64: return new double[n];
        case INT64: return new long[n];
        case INT32: return new int[n];
        case INT16: return new short[n];
        case INT8: return new byte[n];
        case BOOL: return new boolean[n];
        case STRING: return new String[n];
        default: throw new IllegalStateException("unbound dtype " + dtype);
      }
    }

    /** Copies an array's elements into the batch array from {@code at}; returns the next index. */
    private int copy(ArrayData a, Object dest, int at) {
      int n = a.numElements();
      if (element == Element.FLOAT && dtype == DType.FLOAT32) { // the common cases: one bulk copy
        System.arraycopy(a.toFloatArray(), 0, dest, at, n);
      } else if (element == Element.DOUBLE && dtype == DType.FLOAT64) {
        System.arraycopy(a.toDoubleArray(), 0, dest, at, n);
      } else if (element == Element.LONG && dtype == DType.INT64) {
        System.arraycopy(a.toLongArray(), 0, dest, at, n);
      } else if (element == Element.INT && dtype == DType.INT32) {
        System.arraycopy(a.toIntArray(), 0, dest, at, n);
      } else {
        for (int i = 0; i < n; i++) {
          put(a, i, dest, at + i);
        }
      }
      return at + n;
    }

    /** Writes one element of a row or array (exactly convertible, as bind checked) into the batch. */
    private void put(SpecializedGetters src, int i, Object dest, int at) {
      switch (dtype) {
        case FLOAT32: ((float[]) dest)[at] = src.getFloat(i); return;
        case FLOAT64: ((double[]) dest)[at] = asDouble(src, i); return;
        case INT64: ((long[]) dest)[at] = asLong(src, i); return;
        case INT32: ((int[]) dest)[at] = (int) asLong(src, i); return;
        case INT16: ((short[]) dest)[at] = (short) asLong(src, i); return;
        case INT8: ((byte[]) dest)[at] = src.getByte(i); return;
        case BOOL: ((boolean[]) dest)[at] = src.getBoolean(i); return;
        case STRING: ((String[]) dest)[at] = src.getUTF8String(i).toString(); return;
        default: throw new IllegalStateException("unbound dtype " + dtype);
      }
    }

    private double asDouble(SpecializedGetters src, int i) {
      switch (element) {
        case DOUBLE: return src.getDouble(i);
        case FLOAT: return src.getFloat(i);
        default: return asLong(src, i);
      }
    }

    private long asLong(SpecializedGetters src, int i) {
      switch (element) {
        case LONG: return src.getLong(i);
        case INT: return src.getInt(i);
        case SHORT: return src.getShort(i);
        case BYTE: return src.getByte(i);
        default: throw new IllegalStateException(element + " is not an integer type");
      }
    }

    private String expected() {
      long[] s = new long[rowDims.length + 1];
      s[0] = TensorSpec.DYNAMIC;
      System.arraycopy(rowDims, 0, s, 1, rowDims.length);
      return dtype.displayName() + shape(s);
    }
  }

  /** One model output written to one column. */
  static final class OutputBinding implements Serializable {
    private static final long serialVersionUID = 1L;
    final String output;
    final String column;
    final DType dtype;
    final int rank;

    OutputBinding(String output, String column, DType dtype, int rank) {
      this.output = output;
      this.column = column;
      this.dtype = dtype;
      this.rank = rank;
    }

    static OutputBinding bind(String model, String version, TensorSpec spec, String column) {
      if (!spec.hasShape()) {
        throw new IllegalArgumentException("output '" + spec.name() + "' of " + model + " " + version
            + " declares no shape, so its column type is unknown; swell-spark needs the rank of every output it writes"
            + " (choose others with output(...))");
      }
      int rank = spec.rank();
      if (rank < 1 || rank > 3) {
        throw new IllegalArgumentException("output '" + spec.name() + "' of " + model + " " + version + " has rank "
            + rank + "; swell-spark writes outputs of rank 1 to 3 ([batch], [batch, n], [batch, n, m])");
      }
      sparkType(spec.dtype()); // throws for a type with no column type
      return new OutputBinding(spec.name(), column, spec.dtype(), rank);
    }

    DataType columnType() {
      DataType t = sparkType(dtype);
      for (int i = 1; i < rank; i++) {
        t = DataTypes.createArrayType(t, false);
      }
      return t;
    }

    /** Cuts an output tensor into one Catalyst column value per row. */
    Object[] values(String model, String version, Tensor t, int rows) {
      if (t.rank() != rank || t.dim(0) != rows) {
        throw new dev.swell.api.BackendException(model + " " + version + " returned output '" + output + "' of "
            + shape(t.shape()) + " for " + rows + " rows; its signature says rank " + rank, model, version, null);
      }
      int per = rows == 0 ? 0 : t.size() / rows;
      int inner = rank == 3 ? (int) t.dim(2) : per;
      int outer = rank == 3 ? (int) t.dim(1) : 1; // from the shape: [b, 5, 0] is five empty arrays a row
      Object all;
      switch (dtype) {
        case FLOAT32: case FLOAT16: case BFLOAT16: all = t.toFloatArray(); break;
        case FLOAT64: all = t.toDoubleArray(); break;
        case INT64: all = t.toLongArray(); break;
        case INT32: all = t.toIntArray(); break;
        case INT16: all = t.toShortArray(); break;
        case UINT8: { // unsigned bytes, widened to the short column exactly
          byte[] b = t.toByteArray();
          short[] w = new short[b.length];
          for (int i = 0; i < b.length; i++) {
            w[i] = (short) (b[i] & 0xff);
          }
          all = w;
          break;
        }
        case INT8: all = t.toByteArray(); break;
        case BOOL: all = t.toBooleanArray(); break;
        case STRING: all = t.toStringArray(); break;
        default: throw new IllegalStateException("unbound dtype " + dtype);
      }
      Object[] out = new Object[rows];
      for (int r = 0; r < rows; r++) {
        if (rank == 1) {
          Object v = java.lang.reflect.Array.get(all, r);
          out[r] = v instanceof String ? UTF8String.fromString((String) v) : v;
        } else if (rank == 2) {
          out[r] = arrayData(all, r * per, per);
        } else {
          ArrayData[] rowsOf = new ArrayData[outer];
          for (int i = 0; i < outer; i++) {
            rowsOf[i] = arrayData(all, r * per + i * inner, inner);
          }
          out[r] = new GenericArrayData(rowsOf);
        }
      }
      return out;
    }

    /** A slice of a primitive (or String) array as Catalyst array data. */
    private static ArrayData arrayData(Object all, int from, int len) {
      if (all instanceof float[]) { // the common case: one copy, straight from the output
        return UnsafeArrayData.fromPrimitiveArray(all, org.apache.spark.unsafe.Platform.FLOAT_ARRAY_OFFSET + 4 * from,
            len, 4);
      } else if (all instanceof double[]) {
        return UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange((double[]) all, from, from + len));
      } else if (all instanceof long[]) {
        return UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange((long[]) all, from, from + len));
      } else if (all instanceof int[]) {
        return UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange((int[]) all, from, from + len));
      } else if (all instanceof short[]) {
        return UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange((short[]) all, from, from + len));
      } else if (all instanceof byte[]) {
        return UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange((byte[]) all, from, from + len));
      } else if (all instanceof boolean[]) {
        return UnsafeArrayData.fromPrimitiveArray(Arrays.copyOfRange((boolean[]) all, from, from + len));
      }
      String[] s = (String[]) all;
      Object[] u = new Object[len];
      for (int i = 0; i < len; i++) {
        u[i] = UTF8String.fromString(s[from + i]);
      }
      return new GenericArrayData(u);
    }
  }

  static String shape(long[] shape) {
    StringBuilder b = new StringBuilder("[");
    for (int i = 0; i < shape.length; i++) {
      if (i > 0) {
        b.append(", ");
      }
      b.append(shape[i] < 0 ? "?" : Long.toString(shape[i]));
    }
    return b.append(']').toString();
  }

  /** The inputs of a batch of rows, none holding a null. */
  static NamedTensors inputs(String model, String version, List<InputBinding> bindings, List<InternalRow> rows) {
    NamedTensors.Builder b = NamedTensors.builder();
    for (InputBinding ib : bindings) {
      b.put(ib.input, ib.tensor(model, version, rows));
    }
    return b.build();
  }
}
