package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.DType;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.VersionSelector;
import dev.swell.core.testkit.MlpWeights;
import dev.swell.core.testkit.RandomTensors;
import dev.swell.core.testkit.ReferenceBackendProvider;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.stream.Stream;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Random sequences of what a host does with a runtime — load files, pin versions, follow an alias,
 * predict, move the alias, unload, close predictors — under a limit of two resident versions,
 * checked against a model of which weights each predictor must answer with. After every step: no
 * more versions resident than the limit, and one health entry per open predictor.
 */
class RuntimeStatefulPropertiesTest {

  static final int LIMIT = 2;
  static final String[] VERSIONS = {"1.0.1", "1.0.2", "1.0.3"};

  /** A predictor handed out, and the MLP seed its answers must come from (-1: follows the alias). */
  record Handle(Predictor predictor, int seed, String label) {}

  static final class World implements AutoCloseable {
    final Path dir;
    final ReferenceBackendProvider backend = new ReferenceBackendProvider();
    final HotReloadTest.MovableRepository repo = new HotReloadTest.MovableRepository();
    final Swell swell;
    final List<Handle> open = new ArrayList<>();
    final SplittableRandom random = new SplittableRandom(7);
    int productionSeed = 1;

    World() {
      try {
        dir = Files.createTempDirectory("swell-runtime-chain");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      for (int v = 1; v <= 3; v++) {
        repo.files.put(VERSIONS[v - 1], mlp("v" + v, v));
      }
      repo.production = VERSIONS[0];
      swell = Swell.builder().discoverBackends(false).backend(backend).repository(repo).maxResidentVersions(LIMIT)
          .refreshInterval(Duration.ofSeconds(30)).warmupRuns(1).build();
    }

    Path mlp(String name, int seed) {
      return ReferenceBackendProvider.write(dir.resolve(name + ".ref"),
          "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "" + seed);
    }

    void loadFile(int m) {
      open.add(new Handle(swell.load("file" + m, mlp("file" + m, 10 + m)), 10 + m, "file" + m));
    }

    void pin(int v) {
      open.add(new Handle(swell.predictor("fraud", VersionSelector.exact(VERSIONS[v - 1])), v, "pinned " + v));
    }

    void follow() {
      open.add(new Handle(swell.predictor("fraud", VersionSelector.alias("production")), -1, "following"));
    }

    void predict(int which) {
      if (open.isEmpty()) {
        return;
      }
      Handle h = open.get(which % open.size());
      int seed = h.seed() < 0 ? productionSeed : h.seed();
      Tensor x = RandomTensors.random(DType.FLOAT32, random, 1 + random.nextInt(3), 4);
      Prediction p = h.predictor().predict(NamedTensors.of("x", x));
      assertThat(p.output("y").toFloatArray()).as("answer of %s", h.label())
          .containsExactly(MlpWeights.generate(4, 8, 2, seed).apply(x.toFloatArray(), (int) x.dim(0)));
      if (seed < 10) {
        assertThat(p.version()).isEqualTo(VERSIONS[seed - 1]);
      }
    }

    void move(int v) throws InterruptedException {
      repo.move(VERSIONS[v - 1]);
      productionSeed = v;
      for (Handle h : open) {
        if (h.seed() < 0) {
          await(() -> h.predictor().version().equals(VERSIONS[v - 1]), "the alias to be followed");
        }
      }
    }

    void unload(boolean fileModels) {
      String model = fileModels ? "file0" : "fraud";
      swell.unload(model);
      assertThat(swell.health().models()).filteredOn(m -> m.model().equals(model)).noneMatch(m -> m.resident());
    }

    void close(int which) {
      if (open.isEmpty()) {
        return;
      }
      Handle h = open.remove(which % open.size());
      h.predictor().close();
      assertThatThrownBy(() -> h.predictor().predict(NamedTensors.of("x", Tensor.of(new float[4], 1, 4))))
          .isInstanceOf(IllegalStateException.class);
    }

    void checkInvariants() {
      assertThat(swell.residentVersions()).as("resident versions").isLessThanOrEqualTo(LIMIT);
      assertThat(swell.health().models()).hasSize(open.size());
      assertThat(swell.health().ready()).isTrue();
    }

    @Override
    public void close() throws Exception {
      swell.close();
      assertThat(backend.openModels()).as("models left open after close").isZero();
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
          Files.delete(p);
        }
      }
    }

    @Override
    public String toString() {
      return "World" + open.stream().map(Handle::label).toList() + " production=" + productionSeed;
    }
  }

  static void await(BooleanSupplier c, String what) throws InterruptedException {
    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
    while (!c.getAsBoolean()) {
      if (System.nanoTime() > deadline) {
        throw new AssertionError("timed out waiting for " + what);
      }
      Thread.sleep(1);
    }
  }

  @Property(tries = 40)
  void runtimeAgreesWithModel(@ForAll("chains") ActionChain<World> chain) throws Exception {
    World last = chain.withInvariant(World::checkInvariants).run();
    // unloaded versions close on the retire pool: give them a moment, then count
    await(() -> last.backend.openModels() <= LIMIT, "unloaded versions to close");
    last.close();
  }

  @Provide
  Arbitrary<ActionChain<World>> chains() {
    Arbitrary<Integer> any = Arbitraries.integers().between(0, 99);
    return ActionChain.startWith(World::new)
        .withAction(2, (Action.Independent<World>) () -> Arbitraries.integers().between(0, 3)
            .map(m -> Transformer.mutate("load file" + m, w -> w.loadFile(m))))
        .withAction(2, (Action.Independent<World>) () -> Arbitraries.integers().between(1, 3)
            .map(v -> Transformer.mutate("pin " + v, w -> w.pin(v))))
        .withAction(1, (Action.Independent<World>) () -> Arbitraries.just(Transformer.mutate("follow", World::follow)))
        .withAction(6, (Action.Independent<World>) () -> any.map(i -> Transformer.mutate("predict " + i,
            w -> w.predict(i))))
        .withAction(2, (Action.Independent<World>) () -> Arbitraries.integers().between(1, 3)
            .map(v -> Transformer.mutate("move production to " + v, w -> {
              try {
                w.move(v);
              } catch (InterruptedException e) {
                throw new AssertionError(e);
              }
            })))
        .withAction(1, (Action.Independent<World>) () -> Arbitraries.of(true, false)
            .map(f -> Transformer.mutate("unload " + (f ? "file0" : "fraud"), w -> w.unload(f))))
        .withAction(1, (Action.Independent<World>) () -> Combinators.combine(any, Arbitraries.just(0))
            .as((i, z) -> Transformer.mutate("close " + i, w -> w.close(i))))
        .withMaxTransformations(30);
  }
}
