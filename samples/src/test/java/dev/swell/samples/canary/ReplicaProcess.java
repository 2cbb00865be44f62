package dev.swell.samples.canary;

import dev.swell.abtest.Experiment;
import dev.swell.abtest.ExperimentDefinition;
import dev.swell.abtest.VariantTotals;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.SwellException;
import dev.swell.api.Tensor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.registry.FileModelRegistry;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * One replica of a service that serves model {@code scorer} through an experiment stored in the
 * registry: 2 request threads, units {@code user-0..99999}, 16 random features, and in 5% of the
 * requests a first feature of 5000 (which the flawed canary version cannot take). It joins the
 * stored experiment (its definition comes from the registry), decides when it holds the lead,
 * and on SIGTERM stops its threads, closes the experiment (saving) and the runtime.
 *
 * <p>Prints {@code restored N} at start (requests it continues from), {@code stats requests R
 * failed F revision V status S} every 200 ms, and {@code saved N} when closed.
 *
 * <p>Arguments: registry root, experiment key, replica name.
 */
public final class ReplicaProcess {

  private ReplicaProcess() {}

  /**
   * Runs until stopped.
   *
   * @param args registry root, experiment key, replica name
   * @throws Exception on failure
   */
  public static void main(String[] args) throws Exception {
    dev.swell.core.testkit.ChildJvm.exitWithParent();
    FileModelRegistry registry = FileModelRegistry.open(Path.of(args[0]));
    Swell swell = Swell.builder().repository(registry).refreshInterval(Duration.ofMillis(100))
        .backendConfig(BackendConfig.builder().intraOpThreads(1).build()).build();
    Experiment exp = Experiment.builder(args[1]).model("scorer").replica(args[2])
        .saveEvery(Duration.ofMillis(200)).refreshEvery(Duration.ofMillis(100)).build(swell, registry);
    System.out.println("restored " + requests(exp.localTotals()));
    System.out.flush();
    AtomicLong failed = new AtomicLong();
    AtomicLong served = new AtomicLong();
    Thread[] workers = new Thread[2];
    for (int w = 0; w < workers.length; w++) {
      long seed = w * 31L + args[2].hashCode();
      workers[w] = new Thread(() -> {
        SplittableRandom r = new SplittableRandom(seed);
        float[] x = new float[16];
        while (!Thread.currentThread().isInterrupted()) {
          for (int i = 0; i < x.length; i++) {
            x[i] = (float) r.nextDouble(-1, 1);
          }
          x[0] = r.nextDouble() < 0.05 ? 5000 : 0;
          try {
            Prediction p = exp.predict("user-" + r.nextInt(100_000), NamedTensors.of("x", Tensor.of(x, 1, 16)));
            served.incrementAndGet();
            if (p.version().isEmpty()) {
              throw new AssertionError("no version");
            }
          } catch (SwellException e) {
            failed.incrementAndGet();
          } catch (IllegalStateException closing) {
            return;
          }
        }
      }, "load-" + w);
      workers[w].start();
    }
    Runtime.getRuntime().addShutdownHook(new Thread(() -> {
      for (Thread w : workers) {
        w.interrupt();
      }
      for (Thread w : workers) {
        try {
          w.join(5_000);
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      exp.close();
      System.out.println("saved " + requests(exp.localTotals()));
      System.out.flush();
      swell.close();
    }, "replica-shutdown"));
    while (true) {
      ExperimentDefinition def = exp.definition();
      System.out.println("stats requests " + served.get() + " failed " + failed.get() + " revision " + def.revision()
          + " status " + def.status());
      System.out.flush();
      Thread.sleep(200);
    }
  }

  private static long requests(Map<String, VariantTotals> totals) {
    return totals.values().stream().mapToLong(VariantTotals::requests).sum();
  }
}
