package dev.swell.api.spi;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

class BackendConfigTest {

  @Test
  @DisplayName("the defaults are backend-chosen threads, CUDA then CPU, and no options")
  void defaults() {
    BackendConfig d = BackendConfig.defaults();
    assertThat(d.intraOpThreads()).isZero().isEqualTo(BackendConfig.DEFAULT_INTRA_OP_THREADS);
    assertThat(d.interOpThreads()).isZero().isEqualTo(BackendConfig.DEFAULT_INTER_OP_THREADS);
    assertThat(d.executionProviders()).containsExactly("cuda", "cpu")
        .isEqualTo(BackendConfig.DEFAULT_EXECUTION_PROVIDERS);
    assertThat(d.options()).isEmpty();
    assertThat(d.option("anything")).isEmpty();
    assertThat(BackendConfig.builder().build()).isEqualTo(d);
    assertThat(BackendConfig.builder().build().hashCode()).isEqualTo(d.hashCode());
    assertThat(BackendConfig.defaults()).isSameAs(d);
  }

  @Test
  @DisplayName("the builder sets every value")
  void builderSetsValues() {
    BackendConfig c = BackendConfig.builder()
        .intraOpThreads(4)
        .interOpThreads(2)
        .executionProviders(List.of("tensorrt", "cuda", "cpu"))
        .option("onnx.optimization", "all")
        .option("onnx.memory.arena", "false")
        .build();
    assertThat(c.intraOpThreads()).isEqualTo(4);
    assertThat(c.interOpThreads()).isEqualTo(2);
    assertThat(c.executionProviders()).containsExactly("tensorrt", "cuda", "cpu");
    assertThat(c.option("onnx.optimization")).contains("all");
    assertThat(c.option("onnx.memory.arena")).contains("false");
    assertThat(c.option("missing")).isEmpty();
    assertThat(c.options()).hasSize(2);
    assertThat(c).isNotEqualTo(BackendConfig.defaults());
  }

  @Test
  @DisplayName("a later option with the same key replaces the earlier one")
  void optionReplaces() {
    BackendConfig c = BackendConfig.builder().option("k", "1").option("k", "2").build();
    assertThat(c.option("k")).contains("2");
    assertThat(c.options()).hasSize(1);
  }

  @Test
  @DisplayName("from(base) starts with every value of the base, and changes to it leave the base alone")
  void fromCopies() {
    BackendConfig base = BackendConfig.builder()
        .intraOpThreads(3).interOpThreads(5)
        .executionProviders(List.of("rocm", "cpu"))
        .option("a", "1")
        .build();

    BackendConfig copy = BackendConfig.builder(base).build();
    assertThat(copy).isEqualTo(base);
    assertThat(copy.intraOpThreads()).isEqualTo(3);
    assertThat(copy.interOpThreads()).isEqualTo(5);
    assertThat(copy.executionProviders()).containsExactly("rocm", "cpu");
    assertThat(copy.option("a")).contains("1");

    BackendConfig changed = BackendConfig.builder(base).intraOpThreads(1).option("b", "2").option("a", "x").build();
    assertThat(changed.intraOpThreads()).isEqualTo(1);
    assertThat(changed.interOpThreads()).isEqualTo(5);
    assertThat(changed.options()).containsEntry("a", "x").containsEntry("b", "2");
    assertThat(base.intraOpThreads()).isEqualTo(3);
    assertThat(base.options()).containsOnlyKeys("a").containsEntry("a", "1");
  }

  @Test
  @DisplayName("from(defaults) builds the defaults")
  void fromDefaults() {
    assertThat(BackendConfig.builder(BackendConfig.defaults()).build()).isEqualTo(BackendConfig.defaults());
  }

  @Nested
  @DisplayName("validation names the option")
  class Validation {

    @Test
    void intraOpThreads() {
      assertThatThrownBy(() -> BackendConfig.builder().intraOpThreads(-1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("intraOpThreads")
          .hasMessageContaining("-1");
      assertThat(BackendConfig.builder().intraOpThreads(0).build().intraOpThreads()).isZero();
    }

    @Test
    void interOpThreads() {
      assertThatThrownBy(() -> BackendConfig.builder().interOpThreads(Integer.MIN_VALUE))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("interOpThreads")
          .hasMessageContaining(String.valueOf(Integer.MIN_VALUE));
      assertThat(BackendConfig.builder().interOpThreads(Integer.MAX_VALUE).build().interOpThreads())
          .isEqualTo(Integer.MAX_VALUE);
    }

    @Test
    void executionProvidersEmpty() {
      assertThatThrownBy(() -> BackendConfig.builder().executionProviders(List.of()))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("executionProviders")
          .hasMessageContaining("empty");
    }

    @Test
    void executionProvidersBlankOrNullName() {
      assertThatThrownBy(() -> BackendConfig.builder().executionProviders(List.of("cuda", " ")))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("executionProviders")
          .hasMessageContaining("blank");
      assertThatThrownBy(() -> BackendConfig.builder().executionProviders(Arrays.asList("cpu", null)))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("executionProviders");
    }

    @Test
    @DisplayName("a rejected value leaves the builder's earlier value in place")
    void rejectedValueIsNotApplied() {
      BackendConfig.Builder b = BackendConfig.builder().intraOpThreads(2).executionProviders(List.of("cpu"));
      assertThatThrownBy(() -> b.intraOpThreads(-2)).isInstanceOf(IllegalArgumentException.class);
      assertThatThrownBy(() -> b.executionProviders(List.of())).isInstanceOf(IllegalArgumentException.class);
      BackendConfig c = b.build();
      assertThat(c.intraOpThreads()).isEqualTo(2);
      assertThat(c.executionProviders()).containsExactly("cpu");
    }

    @Test
    void nullsRejected() {
      assertThatThrownBy(() -> BackendConfig.builder().option(null, "v")).isExactlyInstanceOf(NullPointerException.class)
          .hasMessageContaining("key");
      assertThatThrownBy(() -> BackendConfig.builder().option("k", null)).isExactlyInstanceOf(NullPointerException.class)
          .hasMessageContaining("value");
      assertThatThrownBy(() -> BackendConfig.builder().executionProviders(null)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> BackendConfig.builder(null)).isInstanceOf(NullPointerException.class);
    }
  }

  @Test
  @DisplayName("execution provider names are stripped and lower-cased in the root locale")
  void executionProvidersLowerCased() {
    Locale saved = Locale.getDefault();
    try {
      Locale.setDefault(Locale.forLanguageTag("tr-TR")); // where "I".toLowerCase() is a dotless ı
      BackendConfig c = BackendConfig.builder().executionProviders(List.of(" CUDA ", "DIRECTML", "MIGraphX", "cpu")).build();
      assertThat(c.executionProviders()).containsExactly("cuda", "directml", "migraphx", "cpu");
    } finally {
      Locale.setDefault(saved);
    }
  }

  @Test
  @DisplayName("the config is immutable: its collections reject changes, and the builder's later changes do not reach it")
  void immutability() {
    List<String> providers = new ArrayList<>(List.of("cuda", "cpu"));
    BackendConfig.Builder builder = BackendConfig.builder().executionProviders(providers).option("a", "1");
    BackendConfig built = builder.build();

    providers.set(0, "rocm");
    providers.add("xnnpack");
    builder.intraOpThreads(8).interOpThreads(8).executionProviders(List.of("cpu")).option("b", "2");
    BackendConfig rebuilt = builder.build();

    assertThat(built.executionProviders()).containsExactly("cuda", "cpu");
    assertThat(built.options()).containsOnlyKeys("a");
    assertThat(built.intraOpThreads()).isZero();
    assertThat(rebuilt.executionProviders()).containsExactly("cpu");
    assertThat(rebuilt.options()).containsOnlyKeys("a", "b");

    assertThatThrownBy(() -> built.executionProviders().add("x")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> built.options().put("x", "y")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> BackendConfig.defaults().executionProviders().set(0, "x"))
        .isInstanceOf(UnsupportedOperationException.class);
    assertThat(BackendConfig.DEFAULT_EXECUTION_PROVIDERS).containsExactly("cuda", "cpu");
    assertThatThrownBy(() -> BackendConfig.DEFAULT_EXECUTION_PROVIDERS.add("x"))
        .isInstanceOf(UnsupportedOperationException.class);
  }

  @Test
  @DisplayName("equals and hashCode cover every value")
  void equality() {
    BackendConfig base = BackendConfig.builder().option("a", "1").build();
    assertThat(base).isEqualTo(BackendConfig.builder().option("a", "1").build());
    assertThat(base.hashCode()).isEqualTo(BackendConfig.builder().option("a", "1").build().hashCode());
    assertThat(base).isNotEqualTo(BackendConfig.builder(base).intraOpThreads(1).build());
    assertThat(base).isNotEqualTo(BackendConfig.builder(base).interOpThreads(1).build());
    assertThat(base).isNotEqualTo(BackendConfig.builder(base).executionProviders(List.of("cpu", "cuda")).build());
    assertThat(base).isNotEqualTo(BackendConfig.builder(base).option("a", "2").build());
    assertThat(base).isNotEqualTo(null).isNotEqualTo("BackendConfig");
  }

  @Test
  @DisplayName("toString shows every value, options sorted by key")
  void toStringFormat() {
    BackendConfig c = BackendConfig.builder().intraOpThreads(2).option("z", "1").option("a", "2").build();
    assertThat(c).hasToString(
        "BackendConfig[intraOpThreads=2, interOpThreads=0, executionProviders=[cuda, cpu], options={a=2, z=1}]");
  }

  @Nested
  @DisplayName("ModelArtifact")
  class Artifact {

    @ParameterizedTest(name = "{0} -> \"{1}\"")
    @CsvSource({
        "model.onnx, onnx",
        "MODEL.ONNX, onnx",
        "weights.Safetensors, safetensors",
        "model.tar.gz, gz",
        "v1.2.3/model.pt, pt",
        "dir.with.dots/model, ''",
        "model, ''",
        "model., ''",
        ".onnx, onnx",
    })
    @DisplayName("ofFile takes the format from the file name's last extension, lower-cased")
    void ofFileFormat(String file, String format) {
      Path path = Path.of(file);
      ModelArtifact a = ModelArtifact.ofFile("m", "1.0.0", path);
      assertThat(a.format()).isEqualTo(format);
      assertThat(a.name()).isEqualTo("m");
      assertThat(a.version()).isEqualTo("1.0.0");
      assertThat(a.file()).isEqualTo(path);
    }

    @Test
    @DisplayName("the constructor lower-cases the format and rejects nulls")
    void constructor() {
      Path p = Path.of("x.bin");
      assertThat(new ModelArtifact("m", "1", "ONNX", p).format()).isEqualTo("onnx");
      assertThat(new ModelArtifact("m", "1", "ONNX", p)).isEqualTo(new ModelArtifact("m", "1", "onnx", p));
      assertThatThrownBy(() -> new ModelArtifact(null, "1", "onnx", p)).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("name");
      assertThatThrownBy(() -> new ModelArtifact("m", null, "onnx", p)).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("version");
      assertThatThrownBy(() -> new ModelArtifact("m", "1", null, p)).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("format");
      assertThatThrownBy(() -> new ModelArtifact("m", "1", "onnx", null)).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("file");
      assertThatThrownBy(() -> ModelArtifact.ofFile("m", "1", null)).isInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("the format is lower-cased in the root locale")
    void rootLocale() {
      Locale saved = Locale.getDefault();
      try {
        Locale.setDefault(Locale.forLanguageTag("tr-TR"));
        assertThat(ModelArtifact.ofFile("m", "1", Path.of("model.TFLITE")).format()).isEqualTo("tflite");
      } finally {
        Locale.setDefault(saved);
      }
    }
  }
}
