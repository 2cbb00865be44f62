package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.BackendException;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.Tensor;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.testkit.ReferenceBackendProvider;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SwellTest {

  @TempDir Path dir;

  private Path mlp() {
    return ReferenceBackendProvider.write(dir.resolve("fraud.ref"),
        "op", "mlp", "in", "4", "hidden", "8", "out", "2", "seed", "3");
  }

  @Test
  @DisplayName("Swell.version() is the version this build made, not a placeholder")
  void versionIsTheBuilds() {
    assertThat(Swell.version()).isEqualTo(System.getProperty("swell.version", Swell.version()))
        .matches("\\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
  }

  @Test
  @DisplayName("ServiceLoader discovery finds the reference backend registered in META-INF/services")
  void discoversBackends() {
    try (Swell swell = Swell.builder().build()) {
      assertThat(swell.backends()).contains(ReferenceBackendProvider.NAME);
      try (Predictor p = swell.load(mlp())) {
        assertThat(p.model()).isEqualTo("fraud");
        assertThat(p.version()).isEqualTo(Swell.FILE_VERSION);
      }
    }
  }

  @Test
  @DisplayName("with no backend for a format, the error lists what was found and how to add one")
  void noBackendError() {
    try (Swell swell = Swell.builder().discoverBackends(false).backend(new ReferenceBackendProvider()).build()) {
      Path onnx = ReferenceBackendProvider.write(dir.resolve("m.onnx"), "op", "mlp");
      assertThatThrownBy(() -> swell.load(onnx))
          .isInstanceOf(BackendException.class)
          .hasMessageContaining("no backend can load format 'onnx'")
          .hasMessageContaining("reference [ref]")
          .hasMessageContaining("dev.swell:swell-onnx");
    }
    try (Swell swell = Swell.builder().discoverBackends(false).build()) {
      assertThat(swell.backends()).isEmpty();
      assertThatThrownBy(() -> swell.load(mlp())).hasMessageContaining("Backends found: none");
    }
  }

  @Test
  @DisplayName("an explicit provider wins over a discovered one of the same name")
  void explicitProviderFirst() {
    ReferenceBackendProvider mine = new ReferenceBackendProvider();
    try (Swell swell = Swell.builder().backend(mine).warmupRuns(0).build(); Predictor p = swell.load(mlp())) {
      p.predict("x", Tensor.of(new float[4], 1, 4));
      assertThat(mine.runs()).isEqualTo(1);
      assertThat(swell.backends()).containsOnlyOnce(ReferenceBackendProvider.NAME);
    }
  }

  @Test
  @DisplayName("the response names the model and version that served it")
  void responseIdentity() {
    try (Swell swell = Swell.builder().build(); Predictor p = swell.load("scorer", mlp())) {
      Prediction out = p.predict("x", Tensor.of(new float[] {1, 2, 3, 4}, 1, 4));
      assertThat(out.model()).isEqualTo("scorer");
      assertThat(out.version()).isEqualTo("file");
      assertThat(out.variant()).isEmpty();
      assertThat(out.output("y").shape()).containsExactly(1, 2);
    }
  }

  @Test
  @DisplayName("closing the runtime closes every model it loaded, and it refuses new loads")
  void closeClosesEverything() {
    ReferenceBackendProvider ref = new ReferenceBackendProvider();
    Swell swell = Swell.builder().backend(ref).discoverBackends(false).build();
    Predictor a = swell.load("a", mlp());
    Predictor b = swell.load("b", mlp());
    b.close();
    assertThat(ref.openModels()).isEqualTo(1);
    swell.close();
    swell.close();
    assertThat(ref.openModels()).isZero();
    assertThatThrownBy(() -> a.predict("x", Tensor.of(new float[4], 1, 4)))
        .isInstanceOf(IllegalStateException.class);
    assertThatThrownBy(() -> swell.load(mlp())).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("closed");
  }

  @Test
  @DisplayName("predictAsync completes with the prediction, or exceptionally with the typed error")
  void predictAsync() throws Exception {
    var executor = Executors.newSingleThreadExecutor();
    try (Swell swell = Swell.builder().asyncExecutor(executor).build(); Predictor p = swell.load(mlp())) {
      Tensor x = Tensor.of(new float[] {1, 2, 3, 4}, 1, 4);
      CompletableFuture<Prediction> ok = p.predictAsync(NamedTensors.of("x", x));
      assertThat(ok.get(10, TimeUnit.SECONDS).output("y")).isEqualTo(p.predict("x", x).output("y"));
      CompletableFuture<Prediction> bad = p.predictAsync(NamedTensors.of("x", Tensor.of(new int[4], 1, 4)));
      assertThatThrownBy(() -> bad.get(10, TimeUnit.SECONDS))
          .isInstanceOf(ExecutionException.class)
          .hasCauseInstanceOf(InvalidInputException.class);
    } finally {
      executor.shutdownNow();
    }
  }

  @Test
  @DisplayName("predictBatch runs unjoinable requests one by one and refuses an empty batch")
  void predictBatchFallbacks() {
    ReferenceBackendProvider ref = new ReferenceBackendProvider();
    Path identity = ReferenceBackendProvider.write(dir.resolve("id.ref"), "op", "identity", "dtype", "int32");
    try (Swell swell = Swell.builder().backend(ref).warmupRuns(0).build(); Predictor p = swell.load(identity)) {
      Tensor a = Tensor.of(new int[] {1, 2, 3}, 1, 3);
      Tensor b = Tensor.of(new int[] {4, 5, 6, 7}, 2, 2);
      List<Prediction> out = p.predictBatch(List.of(NamedTensors.of("x", a), NamedTensors.of("x", b)));
      assertThat(ref.runs()).as("different trailing shapes: one call each").isEqualTo(2);
      assertThat(out.get(0).output("y")).isEqualTo(a);
      assertThat(out.get(1).output("y")).isEqualTo(b);
      assertThatThrownBy(() -> p.predictBatch(List.of())).isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("empty");
      // One invalid request: none runs.
      long before = ref.runs();
      assertThatThrownBy(() -> p.predictBatch(List.of(NamedTensors.of("x", a),
          NamedTensors.of("x", Tensor.of(new float[3], 1, 3))))).isInstanceOf(InvalidInputException.class);
      assertThat(ref.runs()).isEqualTo(before);
    }
  }

  @Test
  @DisplayName("inputs over the element limit are refused")
  void maxInputElements() {
    try (Swell swell = Swell.builder().maxInputElements(8).build(); Predictor p = swell.load(mlp())) {
      p.predict("x", Tensor.of(new float[8], 2, 4));
      assertThatThrownBy(() -> p.predict("x", Tensor.of(new float[12], 3, 4)))
          .isInstanceOf(InvalidInputException.class)
          .hasMessageContaining("at most 8 elements")
          .hasMessageContaining("12 elements");
    }
  }

  @Test
  @DisplayName("builder options are checked at once and settable once")
  void builderValidation() {
    assertThatThrownBy(() -> Swell.builder().maxInputElements(0))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("maxInputElements");
    assertThatThrownBy(() -> Swell.builder().drainTimeout(Duration.ZERO))
        .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("drainTimeout");
    assertThatThrownBy(() -> Swell.builder().backendConfig(BackendConfig.defaults())
        .backendConfig(BackendConfig.defaults()))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("backendConfig");
    assertThatThrownBy(() -> Swell.builder().backend(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  @DisplayName("versions are loaded from a ModelRepository by selector, and the response names the version")
  void loadsFromRepository() {
    Path file = mlp();
    dev.swell.api.spi.ModelRepository repo = (model, selector) -> {
      if (!model.equals("fraud")) {
        throw new dev.swell.api.ModelNotFoundException("no such model", model, selector.toString());
      }
      return new dev.swell.api.spi.ModelArtifact(model, selector.value().equals("production") ? "1.4.0" : "9.9.9",
          "ref", file);
    };
    try (Swell swell = Swell.builder().repository(repo).build();
         Predictor p = swell.load("fraud", dev.swell.api.VersionSelector.alias("production"))) {
      assertThat(p.version()).isEqualTo("1.4.0");
      assertThat(p.predict("x", Tensor.of(new float[4], 1, 4)).version()).isEqualTo("1.4.0");
      assertThatThrownBy(() -> swell.load("nope", dev.swell.api.VersionSelector.latest()))
          .isInstanceOf(dev.swell.api.ModelNotFoundException.class);
    }
    try (Swell swell = Swell.builder().build()) {
      assertThatThrownBy(() -> swell.load("fraud", dev.swell.api.VersionSelector.latest()))
          .isInstanceOf(IllegalStateException.class).hasMessageContaining("repository");
    }
  }

  @Test
  @DisplayName("a file that does not exist is a BackendException naming it")
  void missingFile() {
    try (Swell swell = Swell.builder().build()) {
      assertThatThrownBy(() -> swell.load(dir.resolve("nope.ref")))
          .isInstanceOf(BackendException.class).hasMessageContaining("nope.ref");
    }
  }
}
