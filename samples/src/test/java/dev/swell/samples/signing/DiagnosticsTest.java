package dev.swell.samples.signing;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.Diagnostics;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import dev.swell.registry.cli.RegistryCli;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class DiagnosticsTest {

  @TempDir Path dir;

  @Test
  @DisplayName("diagnostics name ONNX Runtime's version, why CUDA is not usable here, disk headroom and registry health")
  @SuppressWarnings("unchecked")
  void diagnostics() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("reg"));
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir, 16, 32, 4, 1)).version("1.0.0").build());
    Map<String, Object> report = Diagnostics.collect(registry);
    List<Map<String, Object>> backends = (List<Map<String, Object>>) report.get("backends");
    Map<String, Object> onnx = backends.stream().filter(b -> b.get("name").equals("onnxruntime")).findFirst().orElseThrow();
    assertThat(onnx).containsEntry("available", true).containsEntry("version", "1.28.0");
    Map<String, String> eps = (Map<String, String>) onnx.get("executionProviders");
    assertThat(eps).containsEntry("cpu", "usable");
    assertThat(eps.get("cuda")).as("no GPU on the test machines").startsWith("not usable: ");
    Map<String, Object> reg = (Map<String, Object>) report.get("registry");
    assertThat(reg).containsEntry("verifies", true).containsEntry("versions", 1);
    assertThat((Long) reg.get("diskUsableBytes")).isPositive();
    assertThat((Long) ((Map<String, Object>) report.get("memory")).get("heapMaxBytes")).isPositive();
    System.out.println("diagnostics: onnxruntime " + onnx.get("version") + ", cuda " + eps.get("cuda"));

    ByteArrayOutputStream o = new ByteArrayOutputStream();
    assertThat(RegistryCli.run(new String[] {"--root", dir.resolve("reg").toString(), "doctor"},
        new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8)))
        .isZero();
    assertThat(o.toString(StandardCharsets.UTF_8)).contains("version: 1.28.0").contains("cuda: not usable")
        .contains("verifies: true");
    Files.writeString(registry.open("fraud", SemVer.parse("1.0.0")).primaryFile(), "damaged");
    assertThat(RegistryCli.run(new String[] {"--root", dir.resolve("reg").toString(), "doctor"},
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8),
        new PrintStream(new ByteArrayOutputStream(), true, StandardCharsets.UTF_8))).isEqualTo(1);
  }
}
