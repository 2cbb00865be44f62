package dev.swell.bench;

import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.LongAdder;
import java.util.concurrent.locks.LockSupport;

/**
 * What handing a request between threads costs on this machine, the floor under any batcher
 * whose callers block: a park/unpark round trip between two threads, and the core time of one
 * {@code Thread.yield()} with 2, 8 and 32 threads yielding on the machine's cores.
 *
 * <p>Run: {@code java -cp swell-bench/target/classes dev.swell.bench.HandoffCost} (after a build).
 */
public final class HandoffCost {

  private static volatile int turn;

  private HandoffCost() {}

  /**
   * Measures and prints.
   *
   * @param args none
   * @throws Exception if interrupted
   */
  public static void main(String[] args) throws Exception {
    int n = 60_000;
    Thread main = Thread.currentThread();
    Thread other = new Thread(() -> {
      for (int i = 0; i < 3 * n; i++) {
        while (turn != 1) {
          LockSupport.park();
        }
        turn = 0;
        LockSupport.unpark(main);
      }
    });
    other.setDaemon(true);
    other.start();
    for (int rep = 0; rep < 3; rep++) {
      long t0 = System.nanoTime();
      for (int i = 0; i < n; i++) {
        turn = 1;
        LockSupport.unpark(other);
        while (turn != 0) {
          LockSupport.park();
        }
      }
      System.out.printf("park/unpark round trip: %.2f us%n", (System.nanoTime() - t0) / 1e3 / n);
    }
    int cores = Runtime.getRuntime().availableProcessors();
    for (int threads : new int[] {2, 8, 32}) {
      LongAdder yields = new LongAdder();
      AtomicBoolean stop = new AtomicBoolean();
      Thread[] ts = new Thread[threads];
      for (int i = 0; i < threads; i++) {
        ts[i] = new Thread(() -> {
          while (!stop.get()) {
            Thread.yield();
            yields.increment();
          }
        });
        ts[i].start();
      }
      Thread.sleep(500);
      yields.reset();
      Thread.sleep(2000);
      stop.set(true);
      for (Thread t : ts) {
        t.join();
      }
      System.out.printf("%d threads yielding on %d cores: %.2f us of core time a yield%n", threads, cores,
          cores * 2e6 / yields.sum());
    }
  }
}
