package dev.swell.core;

import dev.swell.api.NamedTensors;
import dev.swell.core.batch.BatchPolicy;
import dev.swell.api.DeadlineExceededException;
import dev.swell.api.OverloadException;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.function.LongConsumer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Batching threads in front of one model: each takes queued requests, joins the compatible ones
 * (same input names, dtypes and dimensions but the first) up to a row limit, runs them in one call
 * and completes each caller with its slice. A joined call that fails, or whose outputs do not
 * follow the batch dimension, is run again request by request, so one request's failure is its
 * own. The runtime puts one in front of each loaded version of a batched model
 * ({@code Swell.builder().batching(...)}); it also works alone. Thread-safe.
 *
 * <pre>{@code
 * DynamicBatcher batcher = new DynamicBatcher("fraud", "1.2.0", (in, deadline) -> loadedModel.run(in),
 *     BatchPolicy.maxRows(32), Executors.defaultThreadFactory(), rows -> {}, System::nanoTime);
 * NamedTensors out = batcher.submit(validatedInputs, Long.MAX_VALUE);   // from any number of threads
 * batcher.close();                                      // runs what is queued, then stops
 * }</pre>
 */
final class DynamicBatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DynamicBatcher.class);

  /** Runs one (joined) request, stopping at a deadline ({@code Long.MAX_VALUE}: none). */
  @FunctionalInterface
  public interface Runner {
    /**
     * Runs.
     *
     * @param inputs validated inputs
     * @param deadline on the batcher's ticker
     * @return the outputs
     */
    NamedTensors run(NamedTensors inputs, long deadline);
  }

  /** A request waiting for its batch. */
  private static final class Pending {
    final NamedTensors inputs;
    final long rows;
    final long bytes;
    final long deadline;
    final CompletableFuture<NamedTensors> result = new CompletableFuture<>();

    Pending(NamedTensors inputs, long deadline, boolean countBytes) {
      this.inputs = inputs;
      this.rows = inputs.tensors().get(0).rank() == 0 ? 1 : inputs.tensors().get(0).dim(0);
      long b = 0;
      for (dev.swell.api.Tensor t : countBytes ? inputs.tensors() : List.<dev.swell.api.Tensor>of()) {
        long size = t.byteSize();
        if (size < 0) { // strings: two bytes a character
          size = 0;
          for (String str : t.toStringArray()) {
            size += 2L * str.length();
          }
        }
        b += size;
      }
      this.bytes = b;
      this.deadline = deadline;
    }
  }

  private final String model;
  private final String version;
  private final Runner runner;
  private final java.util.function.LongSupplier ticker;
  private final int maxRows;
  private final long maxBytes;
  private final long maxDelayNanos;
  private final BlockingQueue<Pending> queue;
  private final LongConsumer rowsPerCall;
  private final List<Thread> workers = new ArrayList<>();
  private volatile boolean stopping;

  /**
   * Starts the batching threads.
   *
   * @param model the model's name (for errors and thread names)
   * @param version its version
   * @param runner runs one (joined) request; called from the batching threads, concurrently when
   *     there are several workers
   * @param policy rows per call, delay, queue bound, workers
   * @param threads makes the batching threads
   * @param rowsPerCall told the rows of every call made
   * @param ticker nanoseconds, the clock deadlines are read on
   */
  public DynamicBatcher(String model, String version, Runner runner, BatchPolicy policy,
      ThreadFactory threads, LongConsumer rowsPerCall, java.util.function.LongSupplier ticker) {
    this.model = model;
    this.version = version;
    this.runner = runner;
    this.ticker = ticker;
    this.maxRows = policy.maxRows();
    this.maxBytes = policy.maxBytes();
    this.maxDelayNanos = policy.maxDelay().toNanos();
    this.queue = new ArrayBlockingQueue<>(policy.queueCapacity());
    this.rowsPerCall = rowsPerCall;
    for (int i = 0; i < policy.workers(); i++) {
      Thread t = threads.newThread(this::loop);
      t.setName("swell-batch-" + model + "-" + version + "-" + (i + 1));
      workers.add(t);
      t.start();
    }
  }

  /**
   * Queues inputs (already validated: a request the model refuses fails alone, but only after its
   * batch was tried) and waits for their outputs.
   *
   * @param validInputs the request
   * @param deadline when the caller stops waiting, on the ticker ({@code Long.MAX_VALUE}: never);
   *     a request still queued then is dropped before it reaches the model
   * @return its outputs
   * @throws OverloadException at once if the queue is full
   * @throws DeadlineExceededException when the deadline passes first
   * @throws IllegalStateException if the batcher is closed
   * @throws RuntimeException whatever the runner threw for this request
   */
  public NamedTensors submit(NamedTensors validInputs, long deadline) {
    if (stopping) {
      throw new IllegalStateException("the batcher of model '" + model + "' " + version + " is closed");
    }
    Pending p = new Pending(validInputs, deadline, maxBytes != Long.MAX_VALUE);
    if (!queue.offer(p)) {
      throw new OverloadException("the batching queue holds " + queue.size() + " requests, its capacity; "
          + "retry later or raise BatchPolicy.queueCapacity", model, version);
    }
    if (stopping && queue.remove(p)) { // closed while offering: its workers may be gone
      throw new IllegalStateException("the batcher of model '" + model + "' " + version + " is closed");
    }
    boolean interrupted = false;
    try {
      while (true) {
        try {
          if (deadline == Long.MAX_VALUE) {
            return p.result.get();
          }
          long left = deadline - ticker.getAsLong();
          if (left <= 0) {
            throw expired(p);
          }
          return p.result.get(left, TimeUnit.NANOSECONDS);
        } catch (java.util.concurrent.TimeoutException e) {
          throw expired(p);
        } catch (InterruptedException e) {
          interrupted = true; // the batch will complete; the caller learns of the interrupt after
        } catch (ExecutionException e) {
          Throwable cause = e.getCause();
          if (cause instanceof RuntimeException) {
            throw (RuntimeException) cause;
          }
          if (cause instanceof Error) {
            throw (Error) cause;
          }
          throw new IllegalStateException(cause);
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The caller gives up: dropped if still queued, abandoned (its slice ignored) if running. */
  private DeadlineExceededException expired(Pending p) {
    boolean queued = queue.remove(p);
    p.result.cancel(false);
    return new DeadlineExceededException("the deadline passed " + (queued ? "while the request waited for a batch; "
        + "it never reached the model" : "while its batch ran"), model, version);
  }

  private void loop() {
    ArrayDeque<Pending> leftover = new ArrayDeque<>(); // taken from the queue, not joinable yet
    while (!stopping || !queue.isEmpty() || !leftover.isEmpty()) {
      try {
        Pending first = leftover.isEmpty() ? queue.poll(50, TimeUnit.MILLISECONDS) : leftover.poll();
        if (first == null) {
          continue;
        }
        List<Pending> batch = collect(first, leftover);
        runBatch(batch);
      } catch (InterruptedException e) {
        if (stopping) {
          break;
        }
      } catch (RuntimeException | Error e) {
        log.error("batching thread of model '{}' {} failed; it goes on", model, version, e);
      }
    }
  }

  /** The first request and the queued ones that can join it, up to the row limit. */
  private List<Pending> collect(Pending first, ArrayDeque<Pending> leftover) throws InterruptedException {
    List<Pending> batch = new ArrayList<>();
    batch.add(first);
    long rows = first.rows;
    long bytes = first.bytes;
    long deadline = System.nanoTime() + maxDelayNanos;
    while (rows < maxRows) {
      Pending next = queue.poll();
      if (next == null && maxDelayNanos > 0) {
        long wait = deadline - System.nanoTime();
        if (wait > 0) {
          next = queue.poll(wait, TimeUnit.NANOSECONDS);
        }
      }
      if (next == null) {
        break;
      }
      if (rows + next.rows > maxRows || bytes + next.bytes > maxBytes
          || !TensorBatching.joinable(List.of(first.inputs, next.inputs))) {
        leftover.add(next); // first in line for the next batch
        break;
      }
      batch.add(next);
      rows += next.rows;
      bytes += next.bytes;
    }
    return batch;
  }

  private void runBatch(List<Pending> all) {
    List<Pending> batch = new ArrayList<>(all.size());
    long now = ticker.getAsLong();
    long deadline = Long.MIN_VALUE;
    for (Pending p : all) {
      if (p.result.isDone()) {
        continue; // its caller gave up
      }
      if (p.deadline != Long.MAX_VALUE && now - p.deadline >= 0) {
        p.result.completeExceptionally(new DeadlineExceededException("the deadline passed while the request "
            + "waited for a batch; it never reached the model", model, version));
        continue;
      }
      batch.add(p);
      deadline = Math.max(deadline, p.deadline);
    }
    if (batch.isEmpty()) {
      return;
    }
    if (batch.size() > 1) {
      List<NamedTensors> inputs = new ArrayList<>(batch.size());
      long[] rows = new long[batch.size()];
      long total = 0;
      for (int i = 0; i < rows.length; i++) {
        inputs.add(batch.get(i).inputs);
        rows[i] = batch.get(i).rows;
        total += rows[i];
      }
      List<NamedTensors> parts = null;
      try {
        parts = TensorBatching.split(runner.run(TensorBatching.join(inputs), deadline), rows);
      } catch (RuntimeException joinedFailed) {
        log.debug("a joined call of {} requests failed; running them one by one", batch.size(), joinedFailed);
      }
      if (parts != null) {
        rowsPerCall.accept(total);
        for (int i = 0; i < parts.size(); i++) {
          batch.get(i).result.complete(parts.get(i));
        }
        return;
      }
    }
    for (Pending p : batch) {
      try {
        NamedTensors out = runner.run(p.inputs, p.deadline);
        rowsPerCall.accept(p.rows);
        p.result.complete(out);
      } catch (RuntimeException | Error e) {
        p.result.completeExceptionally(e);
      }
    }
  }

  /**
   * Returns the requests waiting now.
   *
   * @return the queue length
   */
  public int queued() {
    return queue.size();
  }

  /**
   * Runs what is queued, then stops the threads (the caller has stopped submitting); waits up to
   * 30 s. Idempotent.
   */
  @Override
  public void close() {
    stopping = true;
    for (Thread t : workers) {
      try {
        t.join(TimeUnit.SECONDS.toMillis(30));
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
      }
      if (t.isAlive()) {
        log.warn("batching thread {} did not stop in 30 s", t.getName());
      }
    }
  }
}
