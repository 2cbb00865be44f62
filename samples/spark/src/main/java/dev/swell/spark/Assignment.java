package dev.swell.spark;

import dev.swell.abtest.ExperimentDefinition;
import dev.swell.abtest.assign.Allocation;
import dev.swell.abtest.assign.GrowthBook;
import java.io.Serializable;
import java.util.ArrayList;
import java.util.List;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.types.DataType;
import org.apache.spark.sql.types.DataTypes;

/**
 * An experiment's assignment as the driver read it from the registry: GrowthBook's hashing of a
 * unit column, its bucket ranges and namespace, so each row gets the variation
 * {@code Experiment.assign} gives the same unit online. Rebuilt on each executor from plain values.
 */
final class Assignment implements Serializable {

  private static final long serialVersionUID = 1L;

  final String key;
  final String[] names;
  final boolean running;
  final String unitColumn;
  final int unitIndex;
  private final DataType unitType;
  private final String seed;
  private final int hashVersion;
  private final ArrayList<ArrayList<double[]>> ranges = new ArrayList<>();
  private final String namespaceId;
  private final double namespaceStart;
  private final double namespaceEnd;
  private transient Allocation allocation;

  private Assignment(Assignment a, int unitIndex, DataType unitType) {
    this.key = a.key;
    this.names = a.names;
    this.running = a.running;
    this.unitColumn = a.unitColumn;
    this.unitIndex = unitIndex;
    this.unitType = unitType;
    this.seed = a.seed;
    this.hashVersion = a.hashVersion;
    this.ranges.addAll(a.ranges);
    this.namespaceId = a.namespaceId;
    this.namespaceStart = a.namespaceStart;
    this.namespaceEnd = a.namespaceEnd;
  }

  /** This assignment reading units from a column of a schema. */
  Assignment bind(int index, DataType type) {
    return new Assignment(this, index, type);
  }

  Assignment(ExperimentDefinition def, String unitColumn, int unitIndex, DataType unitType) {
    this.key = def.key();
    this.names = def.variations().stream().map(v -> v.name()).toArray(String[]::new);
    this.running = def.status() == ExperimentDefinition.Status.RUNNING;
    this.unitColumn = unitColumn;
    this.unitIndex = unitIndex;
    this.unitType = unitType;
    Allocation a = def.allocation();
    this.seed = a.seed();
    this.hashVersion = a.hashVersion();
    for (int v = 0; v < a.variations(); v++) {
      ranges.add(new ArrayList<>(a.ranges(v)));
    }
    this.namespaceId = a.namespace().map(Allocation.Namespace::id).orElse(null);
    this.namespaceStart = a.namespace().map(Allocation.Namespace::start).orElse(0.0);
    this.namespaceEnd = a.namespace().map(Allocation.Namespace::end).orElse(0.0);
    this.allocation = a;
  }

  /** Whether a column type can hold units: GrowthBook hashes strings, numbers and booleans. */
  static boolean unitTypeOk(DataType t) {
    return t instanceof org.apache.spark.sql.types.StringType || t.equals(DataTypes.LongType) || t.equals(DataTypes.IntegerType)
        || t.equals(DataTypes.ShortType) || t.equals(DataTypes.ByteType) || t.equals(DataTypes.DoubleType)
        || t.equals(DataTypes.FloatType) || t.equals(DataTypes.BooleanType);
  }

  /**
   * The variation of a row's unit.
   *
   * @return its index, or -1 when the unit is not in the experiment (null or empty, outside the
   *     coverage or namespace) or the experiment is not running
   */
  int variation(InternalRow row) {
    if (!running || row.isNullAt(unitIndex)) {
      return -1;
    }
    // integer ids hash as their decimal digits, the string an online caller passes to
    // Experiment.assign for the same id (exact beyond 2^53, and 0 is an id); decimals and booleans
    // as GrowthBook's JavaScript formats an attribute of that type
    String unit;
    if (unitType instanceof org.apache.spark.sql.types.StringType) {
      unit = row.getUTF8String(unitIndex).toString();
    } else if (unitType.equals(DataTypes.LongType)) {
      unit = Long.toString(row.getLong(unitIndex));
    } else if (unitType.equals(DataTypes.IntegerType)) {
      unit = Integer.toString(row.getInt(unitIndex));
    } else if (unitType.equals(DataTypes.ShortType)) {
      unit = Short.toString(row.getShort(unitIndex));
    } else if (unitType.equals(DataTypes.ByteType)) {
      unit = Byte.toString(row.getByte(unitIndex));
    } else if (unitType.equals(DataTypes.DoubleType)) {
      unit = GrowthBook.hashValue(row.getDouble(unitIndex));
    } else if (unitType.equals(DataTypes.FloatType)) {
      unit = GrowthBook.hashValue((double) row.getFloat(unitIndex));
    } else {
      unit = GrowthBook.hashValue(row.getBoolean(unitIndex));
    }
    return allocation().assign(unit);
  }

  private Allocation allocation() {
    if (allocation == null) {
      List<List<double[]>> r = new ArrayList<>(ranges);
      allocation = Allocation.ofRanges(seed, hashVersion, names.length, r,
          namespaceId == null ? null : new Allocation.Namespace(namespaceId, namespaceStart, namespaceEnd));
    }
    return allocation;
  }
}
