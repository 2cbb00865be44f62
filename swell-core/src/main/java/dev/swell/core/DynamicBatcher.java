package dev.swell.core;

import dev.swell.api.DeadlineExceededException;
import dev.swell.api.NamedTensors;
import dev.swell.api.OverloadException;
import dev.swell.core.batch.BatchPolicy;
import dev.swell.core.batch.SequencePadding;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.LongConsumer;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Dynamic batching by flat combining, in front of one model: there are no batching threads; the
 * callers run the model calls. A caller that finds the model idle (fewer than
 * {@code policy.workers()} calls running, nothing queued) runs its own request at once, as if
 * there were no batcher: no queue, no thread hop. A caller that finds the model busy queues its
 * request and waits; whichever caller next holds a call slot takes the queued requests that can
 * join (same input names, dtypes and dimensions but the first, or but the sequence axis with
 * {@link SequencePadding}) up to the row and byte limits, runs them as one call and hands each
 * caller its slice. So an idle model pays nothing and a busy one forms batches as large as the
 * traffic behind it. A caller whose own request is answered passes the slot to a waiting caller
 * (after serving one further batch if calls are shorter than a millisecond, where a thread
 * wake-up would cost more than the call), which bounds everyone's latency to about the queue
 * delay plus two batches: the one running when it arrived and its own.
 *
 * <p>A joined call that fails, or whose outputs do not follow the batch dimension, is run again
 * request by request, so one request's failure is its own. The runtime puts one in front of each
 * loaded version of a batched model ({@code Swell.builder().batching(...)}); it also works alone.
 * Thread-safe.
 *
 * <pre>{@code
 * DynamicBatcher batcher = new DynamicBatcher("fraud", "1.2.0", (in, deadline) -> loadedModel.run(in),
 *     BatchPolicy.maxRows(32), rows -> {}, System::nanoTime);
 * NamedTensors out = batcher.submit(validatedInputs, Long.MAX_VALUE);   // from any number of threads
 * batcher.close();                                      // answers what is queued, then refuses
 * }</pre>
 */
final class DynamicBatcher implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(DynamicBatcher.class);

  /**
   * Batches a caller runs for others after its own request was answered, before passing the slot
   * on, when calls are short: handing the slot over costs a thread wake-up, more than a small
   * model's call.
   */
  private static final int EXTRA_BATCHES = 1;
  /**
   * From this recent mean call time on, calls are slow: a caller whose request is answered passes
   * the slot to a waiting caller at once instead of serving another batch first (its own latency
   * stays one batch, and a wake-up, tens of microseconds, a few milliseconds at worst on a busy VM,
   * is small beside the call it saves the caller from running for others), and a batch takes only
   * its share of the queue so that the call slots run it side by side. Shorter calls are
   * dominated by what a call costs whatever its rows: they keep whole batches and the extra one.
   */
  private static final long SLOW_CALL_NANOS = 1_000_000;
  /** Polls of its own request's state before a waiting caller yields (a batch of a small model is microseconds). */
  private static final int SPINS = 20;
  /**
   * How long a waiting caller yields its core before it parks. Waking a parked thread costs tens
   * of microseconds on a virtual machine (36-96 us a park/unpark round trip measured on the 2-core
   * CI machine), several times a small model's whole call; a yielding thread gives its core to the
   * callers running the batch and sees its answer on its next turn.
   */
  private static final long YIELD_NANOS = 200_000;
  /** The longest a request that finds a call running waits for company before starting another call. */
  private static final long MAX_COMPANY_NANOS = 100_000;

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

  private static final int WAITING = 0;
  private static final int TAKEN = 1;
  private static final int CANCELLED = 2;

  /** A request waiting for its batch. */
  private static final class Pending {
    final NamedTensors inputs;
    final long rows;
    final long bytes;
    final long deadline;
    final long queuedAt;
    final Thread thread = Thread.currentThread();
    int state = WAITING; // guarded by the batcher's lock
    private NamedTensors result; // written before done
    private Throwable failure; // written before done
    volatile boolean done;

    Pending(NamedTensors inputs, long rows, long bytes, long deadline, long queuedAt) {
      this.inputs = inputs;
      this.rows = rows;
      this.bytes = bytes;
      this.deadline = deadline;
      this.queuedAt = queuedAt;
    }

    void complete(NamedTensors out) {
      result = out;
      done = true;
      LockSupport.unpark(thread);
    }

    void fail(Throwable t) {
      failure = t;
      done = true;
      LockSupport.unpark(thread);
    }

    NamedTensors get() {
      if (failure instanceof RuntimeException r) {
        throw r;
      }
      if (failure instanceof Error e) {
        throw e;
      }
      if (failure != null) {
        throw new IllegalStateException(failure);
      }
      return result;
    }
  }

  private final String model;
  private final String version;
  private final Runner runner;
  private final LongSupplier ticker;
  private final int maxRows;
  private final long maxBytes;
  private final long maxDelayNanos;
  private final int capacity;
  private final int slots;
  private final SequencePadding padding; // null: requests join only when every dimension but the first agrees
  private final LongConsumer rowsPerCall;

  private final Object lock = new Object();
  private final ArrayDeque<Pending> queue = new ArrayDeque<>(); // guarded by lock
  private long queuedRows; // guarded by lock
  private int active; // callers holding a call slot, guarded by lock
  private int delaying; // combiners waiting for company (maxDelay), guarded by lock
  private int waiting; // callers queued or answered but not yet returned, guarded by lock
  private long shareRows; // the rows of each share of a divided queue, guarded by lock
  private int sharesLeft; // shares of the divided queue not yet taken, guarded by lock
  private volatile boolean stopping;
  /** Recent mean time of a model call (EWMA, 1/8 a call), the wait for company beside a running call. */
  private volatile long recentCallNanos;

  // ---- adaptation: batching against running every request directly, measured on the same traffic
  private static final long EXPLOIT_NANOS = 1_000_000_000L;
  private static final long MAX_EXPLOIT_NANOS = 16_000_000_000L;
  private static final long PROBE_NANOS = 100_000_000L;
  private final boolean adaptive;
  private volatile boolean direct; // requests run on their callers' threads, unbatched and unlimited
  private volatile boolean exploitDirect; // the way chosen by the last decision (direct is also set while probing)
  private volatile long epochEnd;
  private final java.util.concurrent.atomic.AtomicBoolean closingEpoch = new java.util.concurrent.atomic.AtomicBoolean();
  private final java.util.concurrent.atomic.LongAdder rowsDone = new java.util.concurrent.atomic.LongAdder();
  private long epochStart; // guarded by closingEpoch
  private long epochRows; // guarded by closingEpoch
  private boolean probing; // guarded by closingEpoch
  private double exploitRate; // rows/s of the last exploiting epoch, guarded by closingEpoch
  private long exploitCount; // rows of the last exploiting epoch, guarded by closingEpoch
  /** Fewer rows than this in an epoch is no evidence either way (idle, or a few slow calls). */
  private static final long MIN_EPOCH_ROWS = 64;
  private long exploitNanos = EXPLOIT_NANOS; // guarded by closingEpoch

  /**
   * Creates a batcher; it starts no thread.
   *
   * @param model the model's name (for errors)
   * @param version its version
   * @param runner runs one (joined) request; called from the callers' threads, by up to
   *     {@code policy.workers()} at once
   * @param policy rows and bytes per call, delay, queue bound, calls at once, padding
   * @param rowsPerCall told the rows of every call made
   * @param ticker nanoseconds, the clock deadlines are read on
   */
  public DynamicBatcher(String model, String version, Runner runner, BatchPolicy policy,
      LongConsumer rowsPerCall, LongSupplier ticker) {
    this.model = model;
    this.version = version;
    this.runner = runner;
    this.ticker = ticker;
    this.maxRows = policy.maxRows();
    this.maxBytes = policy.maxBytes();
    this.maxDelayNanos = policy.maxDelay().toNanos();
    this.capacity = policy.queueCapacity();
    this.slots = policy.workers();
    this.padding = policy.padding().orElse(null);
    this.rowsPerCall = rowsPerCall;
    this.adaptive = policy.adaptive();
    this.epochStart = ticker.getAsLong();
    this.epochEnd = epochStart + EXPLOIT_NANOS;
  }

  /**
   * Returns whether requests now run directly (unbatched) because batching was measured not to
   * pay on the recent traffic.
   *
   * @return whether batching is bypassed now
   */
  boolean bypassed() {
    return exploitDirect;
  }

  /**
   * Counts a request's rows as served, and at the end of an epoch decides how the next one
   * serves: an exploiting epoch (1 s, doubling to 16 s while the other way keeps losing) uses the
   * way that served more rows a second, then a probe (100 ms, or 20 recent calls if longer) tries
   * the other. Batching must serve 5% more rows a second than direct calls to be chosen, so that
   * light traffic, which both serve alike, runs unbatched.
   */
  private void served(long rows) {
    if (!adaptive) {
      return;
    }
    rowsDone.add(rows);
    long now = ticker.getAsLong();
    if (now - epochEnd < 0 || !closingEpoch.compareAndSet(false, true)) {
      return;
    }
    try {
      long total = rowsDone.sum();
      long epochCount = total - epochRows;
      double rate = epochCount * 1e9 / Math.max(1, now - epochStart);
      if (!probing) {
        exploitRate = rate;
        exploitCount = epochCount;
        probing = true;
        direct = !direct;
        epochEnd = now + Math.max(PROBE_NANOS, 20 * recentCallNanos);
      } else {
        boolean probeWasDirect = direct;
        boolean evidence = epochCount >= MIN_EPOCH_ROWS && exploitCount >= MIN_EPOCH_ROWS;
        boolean probeWins = evidence && (probeWasDirect ? rate >= exploitRate * 0.95 : rate > exploitRate * 1.05);
        if (probeWins) {
          exploitNanos = EXPLOIT_NANOS;
        } else if (!evidence) {
          direct = !direct; // back to the way that served before, and try again after a while
        } else {
          direct = !direct;
          exploitNanos = Math.min(MAX_EXPLOIT_NANOS, exploitNanos * 2);
        }
        probing = false;
        exploitDirect = direct;
        epochEnd = now + exploitNanos;
        log.debug("model '{}' {}: {} ({} rows/s probed against {})", model, version,
            direct ? "running requests directly" : "batching", Math.round(rate), Math.round(exploitRate));
      }
      epochStart = now;
      epochRows = total;
    } finally {
      closingEpoch.set(false);
    }
  }

  /**
   * Runs inputs (already validated: a request the model refuses fails alone, but only after its
   * batch was tried), alone if the model is idle, else joined with others.
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
    if (direct) {
      if (stopping) {
        throw closed();
      }
      long t0 = ticker.getAsLong();
      NamedTensors out = runner.run(validInputs, deadline);
      noteCall(ticker.getAsLong() - t0);
      long rows = TensorBatching.rows(validInputs);
      rowsPerCall.accept(rows);
      served(rows);
      return out;
    }
    Pending p = null;
    boolean combining;
    synchronized (lock) {
      if (stopping) {
        throw closed();
      }
      if (maxDelayNanos == 0 && waiting == 0 && active == 0) {
        active++; // idle: run it now, as if unbatched
        combining = false;
      } else {
        if (queue.size() >= capacity) {
          throw new OverloadException("the batching queue holds " + queue.size() + " requests, its capacity; "
              + "retry later or raise BatchPolicy.queueCapacity", model, version);
        }
        long bytes = maxBytes == Long.MAX_VALUE ? 0 : TensorBatching.inputBytes(validInputs);
        p = new Pending(validInputs, TensorBatching.rows(validInputs), bytes, deadline, ticker.getAsLong());
        queue.add(p);
        queuedRows += p.rows;
        waiting++;
        if (delaying > 0) {
          lock.notifyAll();
        }
        combining = mayStartCall(ticker.getAsLong());
        if (combining) {
          active++;
        }
      }
    }
    if (p == null) {
      long t0 = ticker.getAsLong();
      try {
        NamedTensors out = runner.run(validInputs, deadline);
        long rows = TensorBatching.rows(validInputs);
        rowsPerCall.accept(rows);
        served(rows);
        return out;
      } finally {
        noteCall(ticker.getAsLong() - t0);
        combine(null);
      }
    }
    try {
      if (combining) {
        combine(p);
      }
      NamedTensors out = await(p);
      served(p.rows);
      return out;
    } finally {
      synchronized (lock) {
        waiting--;
      }
    }
  }

  /**
   * Under the lock, with requests queued: whether one more call may start now. With no call
   * running, yes; beside a running call only once the queue holds a full batch or its oldest
   * request has waited about one call's time (at most 100 us): so a small model's requests
   * gather into batches instead of each taking a core, and a large model's second core is not
   * left idle for long.
   */
  private boolean mayStartCall(long now) {
    if (active >= slots) {
      return false;
    }
    if (active == 0 || queuedRows >= maxRows) {
      return true;
    }
    long company = Math.min(MAX_COMPANY_NANOS, recentCallNanos);
    return now - queue.peekFirst().queuedAt >= company;
  }

  /** Whether recent calls took a millisecond or more (see {@link #SLOW_CALL_NANOS}). */
  private boolean slowCalls() {
    return recentCallNanos >= SLOW_CALL_NANOS;
  }

  private void noteCall(long nanos) {
    long r = recentCallNanos;
    recentCallNanos = r == 0 ? nanos : r - (r >> 3) + (nanos >> 3);
  }

  /**
   * Serves queued batches while holding a call slot, then gives the slot back: until the queue is
   * empty, or until {@code own} is answered (null: already) and, when calls are short, one more
   * batch was served.
   */
  private void combine(Pending own) {
    int extra = 0;
    while (true) {
      List<Pending> batch;
      synchronized (lock) {
        boolean ownDone = own == null || own.state != WAITING;
        int extraBatches = slowCalls() ? 0 : EXTRA_BATCHES;
        if (queue.isEmpty() || ownDone && extra >= extraBatches) {
          active--;
          if (!queue.isEmpty()) {
            LockSupport.unpark(queue.peekFirst().thread); // a waiting caller takes the slot (it may be parked)
          } else if (stopping && active == 0) {
            lock.notifyAll(); // close() waits for this
          }
          return;
        }
        if (maxDelayNanos > 0 && !waitForCompany()) {
          continue; // the queue changed while waiting
        }
        batch = take();
        if (ownDone) {
          extra++;
        }
      }
      long t0 = ticker.getAsLong();
      runBatch(batch);
      noteCall(ticker.getAsLong() - t0);
    }
  }

  /**
   * Under the lock: waits while fewer than {@code maxRows} rows are queued and the oldest request
   * has waited less than {@code maxDelay}. Returns whether the queue is still non-empty.
   */
  private boolean waitForCompany() {
    delaying++;
    try {
      while (!queue.isEmpty() && queuedRows < maxRows && !stopping) {
        long left = queue.peekFirst().queuedAt + maxDelayNanos - ticker.getAsLong();
        if (left <= 0) {
          break;
        }
        try {
          lock.wait(left / 1_000_000, (int) (left % 1_000_000));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          break;
        }
      }
    } finally {
      delaying--;
    }
    return !queue.isEmpty();
  }

  /**
   * Under the lock: the oldest request and the queued ones that can join it, within the limits.
   * When calls are slow (a millisecond or more), the queue is divided into {@code workers}
   * shares, taken by the next calls in turn (each share grows with what arrived since): a model
   * whose call costs its rows, as on a CPU, would otherwise run on one core a batch that two cores
   * run in half the time (measured on MiniLM at 70% load: p99 82-98 ms with shares, 111-117 ms
   * without). A small model keeps whole batches: sharing them halved what batching gained on a
   * 6 us MLP. So does a policy with a {@code maxDelay}: it asked for requests to gather. If a call slot is free, the next caller in line is woken to
   * take the rest beside it.
   */
  private List<Pending> take() {
    int free = slots - active; // this combiner holds a slot already
    long limit = maxRows;
    if (maxDelayNanos == 0 && slowCalls() && slots > 1) {
      long share = (queuedRows + slots - 1) / slots;
      if (sharesLeft > 0) { // the queue was divided: this call takes a share of it (and of what came since)
        share = Math.max(share, shareRows);
        sharesLeft--;
      } else {
        shareRows = share;
        sharesLeft = slots - 1;
      }
      limit = Math.min(maxRows, Math.max(1, share));
    }
    Pending first = queue.pollFirst();
    first.state = TAKEN;
    queuedRows -= first.rows;
    List<Pending> batch = new ArrayList<>((int) Math.min(queue.size() + 1, limit));
    batch.add(first);
    long rows = first.rows;
    long bytes = first.bytes;
    Pending next;
    while (rows < limit && (next = queue.peekFirst()) != null) {
      if (rows + next.rows > limit || bytes + next.bytes > maxBytes
          || !TensorBatching.joinable(first.inputs, next.inputs, padding)) {
        break; // first in line for the next batch
      }
      queue.pollFirst();
      next.state = TAKEN;
      queuedRows -= next.rows;
      batch.add(next);
      rows += next.rows;
      bytes += next.bytes;
    }
    if (queue.isEmpty()) {
      sharesLeft = 0; // nothing left to divide
    } else if (free > 0) {
      LockSupport.unpark(queue.peekFirst().thread); // it may take a free slot for the rest
    }
    return batch;
  }

  /** Waits for a queued request's answer, taking a free call slot to serve the queue when there is one. */
  private NamedTensors await(Pending p) {
    boolean interrupted = false;
    long yieldUntil = 0;
    try {
      while (true) {
        for (int i = 0; i < SPINS && !p.done; i++) {
          Thread.onSpinWait();
        }
        if (p.done) {
          return p.get();
        }
        boolean combining = false;
        synchronized (lock) {
          if (p.state == WAITING && !queue.isEmpty() && mayStartCall(ticker.getAsLong())) {
            active++;
            combining = true;
          }
        }
        if (combining) {
          combine(p);
          continue;
        }
        long now = ticker.getAsLong();
        if (yieldUntil == 0) {
          yieldUntil = now + YIELD_NANOS;
        }
        if (now - yieldUntil < 0 && (p.deadline == Long.MAX_VALUE || now - p.deadline < 0)) {
          Thread.yield();
          continue;
        }
        if (p.deadline == Long.MAX_VALUE) {
          LockSupport.park(this);
        } else {
          long left = p.deadline - ticker.getAsLong();
          if (left <= 0) {
            return expired(p);
          }
          LockSupport.parkNanos(this, left);
        }
        if (Thread.interrupted()) {
          interrupted = true; // the batch will complete; the caller learns of the interrupt after
        }
      }
    } finally {
      if (interrupted) {
        Thread.currentThread().interrupt();
      }
    }
  }

  /** The caller's deadline passed: dropped if still queued, abandoned (its slice ignored) if running. */
  private NamedTensors expired(Pending p) {
    boolean queued;
    synchronized (lock) {
      queued = p.state == WAITING;
      if (queued) {
        p.state = CANCELLED;
        queue.remove(p);
        queuedRows -= p.rows;
        if (!queue.isEmpty() && active < slots) {
          LockSupport.unpark(queue.peekFirst().thread);
        }
      }
    }
    if (!queued && p.done) {
      return p.get(); // answered as the deadline passed
    }
    throw new DeadlineExceededException("the deadline passed " + (queued ? "while the request waited for a batch; "
        + "it never reached the model" : "while its batch ran"), model, version);
  }

  private void runBatch(List<Pending> all) {
    List<Pending> batch = new ArrayList<>(all.size());
    long now = ticker.getAsLong();
    long deadline = Long.MIN_VALUE;
    for (Pending p : all) {
      if (p.deadline != Long.MAX_VALUE && now - p.deadline >= 0) {
        p.fail(new DeadlineExceededException("the deadline passed while the request "
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
      long total = 0;
      for (Pending p : batch) {
        inputs.add(p.inputs);
        total += p.rows;
      }
      List<NamedTensors> parts = null;
      try {
        TensorBatching.Joined joined = TensorBatching.join(inputs, padding);
        parts = joined.split(runner.run(joined.inputs(), deadline));
      } catch (RuntimeException joinedFailed) {
        log.debug("a joined call of {} requests failed; running them one by one", batch.size(), joinedFailed);
      }
      if (parts != null) {
        rowsPerCall.accept(total);
        for (int i = 0; i < parts.size(); i++) {
          batch.get(i).complete(parts.get(i));
        }
        return;
      }
    }
    for (Pending p : batch) {
      try {
        NamedTensors out = runner.run(p.inputs, p.deadline);
        rowsPerCall.accept(p.rows);
        p.complete(out);
      } catch (RuntimeException | Error e) {
        p.fail(e);
      }
    }
  }

  private IllegalStateException closed() {
    return new IllegalStateException("the batcher of model '" + model + "' " + version + " is closed");
  }

  /**
   * Returns the requests waiting now.
   *
   * @return the queue length
   */
  public int queued() {
    synchronized (lock) {
      return queue.size();
    }
  }

  /**
   * Refuses new requests and waits (up to 30 s) until the queued ones are answered by their
   * callers and no call runs. Idempotent.
   */
  @Override
  public void close() {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
    synchronized (lock) {
      stopping = true;
      lock.notifyAll(); // combiners waiting for company stop waiting
      while (active > 0 || !queue.isEmpty()) {
        long left = deadline - System.nanoTime();
        if (left <= 0) {
          log.warn("model '{}' {}: {} batched requests still queued or running after 30 s", model, version,
              queue.size() + active);
          return;
        }
        if (!queue.isEmpty() && active < slots) {
          LockSupport.unpark(queue.peekFirst().thread);
        }
        try {
          lock.wait(Math.max(1, Math.min(100, left / 1_000_000)));
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
          return;
        }
      }
    }
  }
}
