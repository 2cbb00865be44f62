package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.swell.abtest.Experiment;
import dev.swell.api.VersionSelector;
import dev.swell.core.Swell;
import dev.swell.onnx.testing.OnnxModels;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.SemVer;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A model served through an experiment on a real server: variants by unit, sticky, named in the
 * answer; ramped and stopped through the admin API, the next requests following at once.
 */
class OipExperimentTest {

  static final String ADMIN = "admin-token-0123456789abcdef";
  static final ObjectMapper JSON = new ObjectMapper();
  static final HttpClient HTTP = HttpClient.newHttpClient();

  @TempDir Path dir;

  static JsonNode send(OipServer s, String method, String path, String body, int status) throws Exception {
    HttpRequest.Builder r = HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + s.port() + path))
        .method(method, body == null ? HttpRequest.BodyPublishers.noBody() : HttpRequest.BodyPublishers.ofString(body))
        .header("Authorization", "Bearer " + ADMIN);
    HttpResponse<String> res = HTTP.send(r.build(), HttpResponse.BodyHandlers.ofString());
    assertThat(res.statusCode()).as(res.body()).isEqualTo(status);
    return JSON.readTree(res.body());
  }

  static String infer(String unit) {
    return "{\"parameters\":{\"unit\":\"" + unit + "\"},\"inputs\":[{\"name\":\"x\",\"datatype\":\"FP32\",\"shape\":[1,4],"
        + "\"data\":[1,2,3,4]}]}";
  }

  /** Each of 200 units' variant, with the version that served it checked against the variant. */
  static Map<String, String> variants(OipServer s) throws Exception {
    Map<String, String> out = new HashMap<>();
    for (int u = 0; u < 200; u++) {
      JsonNode a = send(s, "POST", "/v2/models/fraud/infer", infer("user-" + u), 200);
      String variant = a.path("parameters").path("variant").asText("none");
      assertThat(a.get("model_version").asText()).isEqualTo(variant.equals("canary") ? "1.1.0" : "1.0.0");
      out.put("user-" + u, variant);
    }
    return out;
  }

  @Test
  void servedThroughAnExperimentRampedAndStoppedByTheAdminApi() throws Exception {
    FileModelRegistry registry = FileModelRegistry.open(dir.resolve("registry"));
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("a"), 4, 8, 2, 1)).format("onnx")
        .version(SemVer.parse("1.0.0")).build());
    registry.publish(PublishRequest.builder("fraud").file(OnnxModels.mlp(dir.resolve("b"), 4, 8, 2, 2)).format("onnx")
        .version(SemVer.parse("1.1.0")).build());
    registry.promote("fraud", SemVer.parse("1.0.0"), "production");
    try (Swell swell = Swell.builder().repository(registry).build();
         Experiment experiment = Experiment.builder("fraud-canary").model("fraud")
             .control(VersionSelector.alias("production")).challenger("canary", VersionSelector.exact("1.1.0"), 0.5)
             .build(swell, registry);
         OipServer server = OipServer.builder(swell, registry).host("127.0.0.1").port(0).experiment(experiment)
             .access(Access.builder().adminToken(ADMIN).build()).start()) {
      assertThat(send(server, "POST", "/v2/models/fraud/infer", infer("").replace(",\"parameters\"", ""), 400)
          .get("error").asText()).contains("experiment 'fraud-canary'").contains("parameters.unit");
      // a version in the path still serves that version
      assertThat(send(server, "POST", "/v2/models/fraud/versions/1.1.0/infer", infer("u"), 200).has("parameters"))
          .isFalse();

      Map<String, String> first = variants(server);
      long canary = first.values().stream().filter("canary"::equals).count();
      assertThat(canary).as("units on the canary at 50%").isBetween(60L, 140L);
      assertThat(variants(server)).as("the same unit, the same variant").isEqualTo(first);
      JsonNode listed = send(server, "GET", "/admin/experiments", null, 200).get("experiments").get(0);
      assertThat(listed.get("key").asText()).isEqualTo("fraud-canary");
      assertThat(listed.toString()).contains("\"name\":\"canary\"", "\"share\":0.5");

      send(server, "POST", "/admin/experiments/fraud-canary/ramp", "{\"variant\":\"nosuch\",\"share\":0.1}", 400);
      send(server, "POST", "/admin/experiments/other/ramp", "{\"variant\":\"canary\",\"share\":0.1}", 404);
      JsonNode ramped = send(server, "POST", "/admin/experiments/fraud-canary/ramp",
          "{\"variant\":\"canary\",\"share\":0.1}", 200);
      assertThat(ramped.get("variants").get(1).get("share").asDouble()).isCloseTo(0.1,
          org.assertj.core.data.Offset.offset(1e-9));
      Map<String, String> after = variants(server);
      long stillCanary = after.values().stream().filter("canary"::equals).count();
      assertThat(stillCanary).isBetween(5L, 40L);
      after.forEach((unit, v) -> {
        if (v.equals("canary")) {
          assertThat(first.get(unit)).as("ramping down moves units only from the canary to the control").isEqualTo("canary");
        }
      });
      JsonNode stopped = send(server, "POST", "/admin/experiments/fraud-canary/stop", "{\"why\":\"enough\"}", 200);
      assertThat(stopped.get("status").asText()).isEqualTo("STOPPED");
      assertThat(variants(server).values()).doesNotContain("canary");
    }
  }
}
