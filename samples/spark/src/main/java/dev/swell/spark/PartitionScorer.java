package dev.swell.spark;

import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.NoSuchElementException;
import org.apache.spark.TaskContext;
import org.apache.spark.api.java.function.FlatMapFunction;
import org.apache.spark.sql.catalyst.InternalRow;
import org.apache.spark.sql.catalyst.expressions.GenericInternalRow;
import org.apache.spark.sql.catalyst.expressions.JoinedRow;
import org.apache.spark.unsafe.types.UTF8String;
import org.apache.spark.util.TaskCompletionListener;

/**
 * Scores one partition: holds the executor's copy of the pinned version for the task, reads the
 * partition in batches of the plan's size, makes one model call a batch and writes each row with
 * its outputs, model and version. Rows come out in the order they went in. Works on Spark's
 * internal rows, so array columns are copied in bulk, never boxed element by element.
 */
final class PartitionScorer implements FlatMapFunction<Iterator<InternalRow>, InternalRow> {

  private static final long serialVersionUID = 1L;

  private final ScoringPlan plan;

  PartitionScorer(ScoringPlan plan) {
    this.plan = plan;
  }

  @Override
  public Iterator<InternalRow> call(Iterator<InternalRow> input) {
    if (!input.hasNext()) {
      return input; // an empty partition loads nothing
    }
    ExecutorModels.Lease[] leases = new ExecutorModels.Lease[plan.pins().size()];
    TaskContext task = TaskContext.get();
    if (task != null) { // released however the task ends, consumed or not
      task.addTaskCompletionListener((TaskCompletionListener) ctx -> release(leases));
    }
    UTF8String model = UTF8String.fromString(plan.model());
    return new Iterator<>() {
      private final List<InternalRow> batch = new ArrayList<>(plan.batchSize());
      private final List<InternalRow> out = new ArrayList<>(plan.batchSize());
      private int next;

      @Override
      public boolean hasNext() {
        if (next < out.size()) {
          return true;
        }
        if (!input.hasNext()) {
          release(leases);
          return false;
        }
        fill();
        return true;
      }

      @Override
      public InternalRow next() {
        if (!hasNext()) {
          throw new NoSuchElementException();
        }
        return out.get(next++);
      }

      private void fill() {
        batch.clear();
        out.clear();
        next = 0;
        while (batch.size() < plan.batchSize() && input.hasNext()) {
          batch.add(input.next().copy()); // the source reuses its row object
        }
        score(leases, model, batch, out);
      }
    };
  }

  private static void release(ExecutorModels.Lease[] leases) {
    synchronized (leases) {
      for (ExecutorModels.Lease l : leases) {
        if (l != null) {
          l.close();
        }
      }
    }
  }

  private ExecutorModels.Lease lease(ExecutorModels.Lease[] leases, int pin) {
    synchronized (leases) {
      if (leases[pin] == null) { // loaded when a row first needs it: a variant no row gets loads nothing
        leases[pin] = ExecutorModels.acquire(plan, pin);
      }
      return leases[pin];
    }
  }

  /**
   * Scores a batch: rows with a null input pass unscored (or fail); the others are grouped by the
   * version that serves them (one, or an experiment variant's) and each group is one call.
   */
  private void score(ExecutorModels.Lease[] leases, UTF8String model, List<InternalRow> rows, List<InternalRow> out) {
    int n = rows.size();
    int[] pinOf = new int[n]; // -1: not scored
    UTF8String[] variantOf = new UTF8String[n];
    int skipped = 0;
    Assignment assignment = plan.assignment();
    for (int r = 0; r < n; r++) {
      InternalRow row = rows.get(r);
      for (Columns.InputBinding ib : plan.inputs()) {
        String why = ib.nullIn(row);
        if (why != null) {
          if (plan.nulls() == NullRule.FAIL) {
            throw new ColumnMismatchException(plan.model(), plan.version(), ib.column, ib.input,
                "no nulls (NullRule.FAIL)", why + " in a row");
          }
          pinOf[r] = -1;
          skipped++;
          break;
        }
      }
      if (pinOf[r] == 0 && assignment != null) { // a unit outside the experiment: the control, no variant
        int v = assignment.variation(row);
        pinOf[r] = Math.max(v, 0);
        variantOf[r] = v < 0 ? null : UTF8String.fromString(assignment.names[v]);
      }
    }
    if (skipped > 0 && plan.skipped() != null) {
      plan.skipped().add(skipped);
    }
    int outputs = plan.outputs().size();
    Object[][] values = new Object[n][];
    UTF8String[] versionOf = new UTF8String[n];
    for (int pin = 0; pin < plan.pins().size(); pin++) {
      List<InternalRow> group = new ArrayList<>();
      List<Integer> at = new ArrayList<>();
      for (int r = 0; r < n; r++) {
        if (pinOf[r] == pin) {
          group.add(rows.get(r));
          at.add(r);
        }
      }
      if (group.isEmpty()) {
        continue;
      }
      String pinned = plan.pins().get(pin).version();
      NamedTensors inputs = Columns.inputs(plan.model(), pinned, plan.inputs(), group);
      Prediction p = lease(leases, pin).predictor().predict(inputs);
      UTF8String version = UTF8String.fromString(p.version());
      Object[][] byOutput = new Object[outputs][];
      for (int o = 0; o < outputs; o++) {
        Columns.OutputBinding ob = plan.outputs().get(o);
        byOutput[o] = ob.values(plan.model(), pinned, p.output(ob.output), group.size());
      }
      for (int g = 0; g < group.size(); g++) {
        int r = at.get(g);
        Object[] v = new Object[outputs];
        for (int o = 0; o < outputs; o++) {
          v[o] = byOutput[o][g];
        }
        values[r] = v;
        versionOf[r] = version;
      }
    }
    int extra = assignment == null ? 2 : 3;
    for (int r = 0; r < n; r++) {
      Object[] v = new Object[outputs + extra];
      if (values[r] != null) {
        System.arraycopy(values[r], 0, v, 0, outputs);
        v[outputs] = model;
        v[outputs + 1] = versionOf[r];
        if (assignment != null) {
          v[outputs + 2] = variantOf[r];
        }
      }
      out.add(new JoinedRow(rows.get(r), new GenericInternalRow(v)));
    }
  }
}
