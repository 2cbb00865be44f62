package dev.swell.samples.faults;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Closed-loop load from several threads on one predictor: counts requests served by the expected
 * version and failures (an exception, or an answer from another version), and keeps the first
 * failure for the message.
 */
public final class Load implements AutoCloseable {

  private final AtomicLong served = new AtomicLong();
  private final AtomicLong failed = new AtomicLong();
  private final AtomicReference<String> firstFailure = new AtomicReference<>();
  private final AtomicBoolean stop = new AtomicBoolean();
  private final ExecutorService pool;
  private final List<Future<?>> workers = new ArrayList<>();

  /**
   * Starts the load.
   *
   * @param threads how many threads
   * @param p the predictor
   * @param in the request
   * @param version the version every answer must come from
   */
  public Load(int threads, Predictor p, NamedTensors in, String version) {
    pool = Executors.newFixedThreadPool(threads);
    for (int t = 0; t < threads; t++) {
      workers.add(pool.submit(() -> {
        while (!stop.get()) {
          try {
            String v = p.predict(in).version();
            if (v.equals(version)) {
              served.incrementAndGet();
            } else {
              fail("served by " + v);
            }
          } catch (RuntimeException e) {
            fail(e.toString());
          }
        }
      }));
    }
  }

  private void fail(String why) {
    failed.incrementAndGet();
    firstFailure.compareAndSet(null, why);
  }

  /** @return requests served by the expected version so far */
  public long served() {
    return served.get();
  }

  /** @return failed requests so far */
  public long failed() {
    return failed.get();
  }

  /** @return the first failure, or null */
  public String firstFailure() {
    return firstFailure.get();
  }

  /** Stops the threads and waits for them. */
  @Override
  public void close() throws Exception {
    stop.set(true);
    for (Future<?> f : workers) {
      f.get();
    }
    pool.shutdown();
  }
}
