package dev.swell.onnx;

import dev.swell.api.NamedTensors;
import dev.swell.api.Predictor;
import dev.swell.api.SwellException;
import dev.swell.api.Tensor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.MiniLm;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * A child JVM that serves MiniLM the way a service does: a producer accepts requests (random
 * sequence lengths, 8 to 128 tokens, after a warm-up at 16) into a bounded queue, 4 workers run
 * them. Every request prints {@code start ID}, then {@code ok ID} or {@code fail ID EXCEPTION}.
 *
 * <p>Arguments: the model file, then {@code drain} (on shutdown — SIGTERM or {@code System.exit} —
 * a hook stops accepting, lets the workers finish every accepted request, closes Swell, prints
 * {@code drained N}) or {@code nohook} (daemon workers, nothing drains), then {@code signal} (wait
 * to be killed) or {@code exit} (a thread calls {@code System.exit(0)} after 20 answers).
 */
public final class ServingHost {

  private ServingHost() {}

  /**
   * Runs the host.
   *
   * @param args model file, drain|nohook, signal|exit
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    dev.swell.core.testkit.ChildJvm.exitWithParent();
    Path model = Path.of(args[0]);
    boolean drain = args[1].equals("drain");
    boolean exit = args[2].equals("exit");
    Swell swell = Swell.builder().backendConfig(BackendConfig.builder().intraOpThreads(1).build())
        .build();
    Predictor p = swell.load(model);
    p.predict(request(16, 0));
    BlockingQueue<Integer> queue = new ArrayBlockingQueue<>(8);
    AtomicInteger ids = new AtomicInteger();
    AtomicInteger answered = new AtomicInteger();
    AtomicInteger afterShutdown = new AtomicInteger();
    SplittableRandom random = new SplittableRandom();
    Thread producer = new Thread(() -> {
      try {
        while (!Thread.currentThread().isInterrupted()) {
          queue.put(8 + random.split().nextInt(121));
        }
      } catch (InterruptedException stop) {
        // shutdown: stop accepting
      }
    }, "producer");
    producer.setDaemon(true);
    accepting = true;
    Thread[] workers = new Thread[4];
    for (int w = 0; w < workers.length; w++) {
      workers[w] = new Thread(() -> {
        while (true) {
          Integer seq;
          try {
            seq = queue.poll(10, TimeUnit.MILLISECONDS);
          } catch (InterruptedException e) {
            return;
          }
          if (seq == null) {
            if (!accepting) {
              return; // drained
            }
            continue;
          }
          int id = ids.incrementAndGet();
          boolean late = !accepting;
          say("start " + id + " " + seq);
          try {
            p.predict(request(seq, id));
            say("ok " + id);
            if (late) {
              afterShutdown.incrementAndGet();
            }
          } catch (SwellException | IllegalStateException e) {
            say("fail " + id + " " + e.getClass().getSimpleName() + " " + e.getMessage());
          } catch (RuntimeException e) {
            say("untyped " + id + " " + e);
          }
          if (answered.incrementAndGet() == 20 && exit) {
            Thread exiter = new Thread(() -> System.exit(0), "exiter");
            exiter.start();
          }
        }
      }, "worker-" + w);
      workers[w].setDaemon(!drain);
    }
    if (drain) {
      Runtime.getRuntime().addShutdownHook(new Thread(() -> {
        accepting = false; // 1. stop accepting
        producer.interrupt();
        for (Thread w : workers) { // 2. finish every accepted request
          try {
            w.join(30_000);
          } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
          }
        }
        swell.close(); // 3. close Swell, 4. exit
        say("drained " + afterShutdown.get());
      }, "host-shutdown"));
    }
    producer.start();
    for (Thread w : workers) {
      w.start();
    }
    say("serving");
    if (!drain) {
      Thread.sleep(Long.MAX_VALUE);
    }
  }

  private static volatile boolean accepting;

  private static synchronized void say(String line) {
    System.out.println(line);
    System.out.flush();
  }

  private static NamedTensors request(int seq, long seed) {
    long[] ids = MiniLm.flatten(MiniLm.tokenIds(1, seq, seed));
    return NamedTensors.builder()
        .put(MiniLm.INPUT_IDS, Tensor.of(ids, 1, seq))
        .put(MiniLm.ATTENTION_MASK, Tensor.of(MiniLm.flatten(MiniLm.attentionMask(1, seq)), 1, seq))
        .put(MiniLm.TOKEN_TYPE_IDS, Tensor.of(MiniLm.flatten(MiniLm.tokenTypeIds(1, seq)), 1, seq))
        .build();
  }
}
