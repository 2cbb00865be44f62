package dev.swell.abtest.assign;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.DynamicTest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestFactory;

/**
 * Swell's assignment against GrowthBook's own published test cases: the JavaScript SDK's
 * {@code packages/sdk-js/test/cases.json} (growthbook/growthbook, commit 021bf498, spec 0.5.4;
 * identical sections in growthbook-python's tests/cases.json 0.7.1) and the FNV-1a vectors of
 * growthbook-flutter (generated from the JS SDK), transcribed into
 * {@code src/test/resources/growthbook/cases.json}. Bucket ranges and equal weights are compared
 * as GrowthBook's own test compares them (both sides floored to 1e-8); everything else exactly.
 */
class GrowthBookCompatibilityTest {

  private static JsonNode cases;

  @BeforeAll
  static void load() throws IOException {
    try (InputStream in = GrowthBookCompatibilityTest.class.getResourceAsStream("/growthbook/cases.json")) {
      cases = new ObjectMapper().readTree(in);
    }
  }

  private static double floor8(double x) {
    return Math.floor(x * 1e8) / 1e8;
  }

  private static double[] doubles(JsonNode a) {
    double[] out = new double[a.size()];
    for (int i = 0; i < out.length; i++) {
      out[i] = a.get(i).doubleValue();
    }
    return out;
  }

  private static double[][] ranges(JsonNode a) {
    double[][] out = new double[a.size()][];
    for (int i = 0; i < out.length; i++) {
      out[i] = doubles(a.get(i));
    }
    return out;
  }

  private static Stream<JsonNode> each(String section) {
    JsonNode n = cases.get(section);
    JsonNode list = n.isArray() ? n : n.get("cases");
    List<JsonNode> out = new ArrayList<>();
    list.forEach(out::add);
    assertThat(out).as(section).isNotEmpty();
    return out.stream();
  }

  @TestFactory
  Stream<DynamicTest> fnv1a32() {
    return each("fnv1a32").map(c -> DynamicTest.dynamicTest("fnv1a32(" + c.get("input").asText() + ")",
        () -> assertThat(GrowthBook.fnv1a32(c.get("input").asText())).isEqualTo(c.get("expected").asLong())));
  }

  @TestFactory
  Stream<DynamicTest> legacyFnv() {
    return each("legacyFnvMod1000").map(c -> DynamicTest.dynamicTest("fnv mod 1000 " + c.get("input").asText(),
        () -> assertThat(GrowthBook.fnv1a32(c.get("input").asText()) % 1000).isEqualTo(c.get("expected").asLong())));
  }

  @TestFactory
  Stream<DynamicTest> hash() {
    return each("hash").map(c -> DynamicTest.dynamicTest(
        "hash(" + c.get("seed").asText() + ", " + c.get("value").asText() + ", v" + c.get("version").asInt() + ")", () -> {
          double h = GrowthBook.hash(c.get("seed").asText(), c.get("value").asText(), c.get("version").asInt());
          if (c.get("expected").isNull()) {
            assertThat(h).isNaN();
          } else {
            assertThat(h).isEqualTo(c.get("expected").doubleValue());
          }
        }));
  }

  @TestFactory
  Stream<DynamicTest> bucketRanges() {
    return each("getBucketRange").map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
      double[] weights = c.get("weights").isNull() ? null : doubles(c.get("weights"));
      double[][] got = GrowthBook.bucketRanges(c.get("numVariations").asInt(), c.get("coverage").doubleValue(), weights);
      double[][] want = ranges(c.get("expected"));
      assertThat(got).hasNumberOfRows(want.length);
      for (int i = 0; i < want.length; i++) {
        assertThat(floor8(got[i][0])).isEqualTo(floor8(want[i][0]));
        assertThat(floor8(got[i][1])).isEqualTo(floor8(want[i][1]));
      }
    }));
  }

  @TestFactory
  Stream<DynamicTest> chooseVariation() {
    return each("chooseVariation").map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () ->
        assertThat(GrowthBook.chooseVariation(c.get("n").doubleValue(), ranges(c.get("ranges"))))
            .isEqualTo(c.get("expected").asInt())));
  }

  @TestFactory
  Stream<DynamicTest> inNamespace() {
    return each("inNamespace").map(c -> DynamicTest.dynamicTest(c.get("name").asText(), () -> {
      JsonNode ns = c.get("namespace");
      assertThat(GrowthBook.inNamespace(c.get("id").asText(), ns.get(0).asText(), ns.get(1).doubleValue(),
          ns.get(2).doubleValue())).isEqualTo(c.get("expected").asBoolean());
    }));
  }

  @TestFactory
  Stream<DynamicTest> equalWeights() {
    return each("getEqualWeights").map(c -> DynamicTest.dynamicTest("equal weights " + c.get("numVariations"), () -> {
      double[] got = GrowthBook.equalWeights(c.get("numVariations").asInt());
      double[] want = doubles(c.get("expected"));
      assertThat(got).hasSize(want.length);
      for (int i = 0; i < want.length; i++) {
        assertThat(floor8(got[i])).isEqualTo(floor8(want[i]));
      }
    }));
  }

  /** GrowthBook's experiment runs, through Swell's {@link Allocation}: the same variation, or the same "not in it". */
  @TestFactory
  Stream<DynamicTest> runs() {
    return Stream.concat(each("run"), each("runFromFeatureCases")).map(c -> DynamicTest.dynamicTest(
        c.get("name").asText(), () -> assertThat(run(c)).isEqualTo(c.get("expectedVariation").asInt())));
  }

  /** Runs one case as GrowthBook's SDK would, with Swell's functions (SDK defaults: hash version 1, attribute id). */
  private static int run(JsonNode c) {
    int n = c.get("numVariations").asInt();
    if (n < 2) {
      return -1; // GrowthBook: fewer than two variations is no experiment
    }
    String attribute = c.get("hashAttribute").isNull() ? "id" : c.get("hashAttribute").asText();
    JsonNode raw = c.get("attributes").get(attribute);
    Object value = raw == null || raw.isNull() ? null
        : raw.isNumber() ? (Object) raw.numberValue() : raw.isBoolean() ? (Object) raw.booleanValue() : raw.asText();
    String hashValue = GrowthBook.hashValue(value);
    if (hashValue == null) {
      return -1;
    }
    String seed = c.get("seed").isNull() || c.get("seed").asText().isEmpty() ? c.get("key").asText() : c.get("seed").asText();
    int version = c.get("hashVersion").isNull() || c.get("hashVersion").asInt() == 0 ? 1 : c.get("hashVersion").asInt();
    Allocation.Namespace ns = null;
    if (!c.get("namespace").isNull()) {
      JsonNode a = c.get("namespace");
      ns = new Allocation.Namespace(a.get(0).asText(), a.get(1).doubleValue(), a.get(2).doubleValue());
    }
    Allocation allocation;
    if (!c.get("ranges").isNull()) {
      List<List<double[]>> r = new ArrayList<>();
      for (JsonNode pair : c.get("ranges")) {
        r.add(List.of(doubles(pair)));
      }
      allocation = Allocation.ofRanges(seed, version, n, r, ns);
    } else {
      double coverage = c.get("coverage").isNull() ? 1 : c.get("coverage").doubleValue();
      double[] weights = c.get("weights").isNull() ? null : doubles(c.get("weights"));
      if (weights != null && (weights.length != n || Math.abs(sum(weights) - 1) > 0.01)) {
        weights = null; // GrowthBook falls back to equal weights; Swell's builder refuses such weights
      }
      if (coverage <= 0) {
        return -1;
      }
      allocation = Allocation.of(seed, version, n, Math.min(coverage, 1), weights, ns);
    }
    if (c.has("expectedBucket") && !c.get("expectedBucket").isNull()) {
      assertThat(GrowthBook.hash(seed, hashValue, version)).as("bucket").isEqualTo(c.get("expectedBucket").doubleValue());
    }
    return allocation.assign(hashValue);
  }

  private static double sum(double[] w) {
    double s = 0;
    for (double x : w) {
      s += x;
    }
    return s;
  }

  @Test
  @DisplayName("numbers are hashed as JavaScript's String(x) writes them")
  void jsNumbers() {
    Map<Double, String> expected = Map.ofEntries(Map.entry(1.0, "1"), Map.entry(1.5, "1.5"), Map.entry(123.25, "123.25"),
        Map.entry(0.000001, "0.000001"), Map.entry(1e-7, "1e-7"), Map.entry(1.5e-7, "1.5e-7"), Map.entry(1e21, "1e+21"),
        Map.entry(1e20, "100000000000000000000"), Map.entry(123456789012345680000.0, "123456789012345680000"),
        Map.entry(-2.5, "-2.5"), Map.entry(0.1, "0.1"), Map.entry(1.0 / 3, "0.3333333333333333"),
        Map.entry(2e-323, "2e-323"), Map.entry(Double.MAX_VALUE, "1.7976931348623157e+308"));
    expected.forEach((x, s) -> assertThat(GrowthBook.jsNumber(x)).as("String(%s)", x).isEqualTo(s));
    assertThat(GrowthBook.hashValue(123)).isEqualTo("123");
    assertThat(GrowthBook.hashValue(123.0)).isEqualTo("123");
    assertThat(GrowthBook.hashValue(0)).as("0 is falsy in JavaScript").isNull();
    assertThat(GrowthBook.hashValue("0")).isEqualTo("0");
    assertThat(GrowthBook.hashValue("")).isNull();
    assertThat(GrowthBook.hashValue(Double.NaN)).isNull();
    assertThat(GrowthBook.hashValue(true)).isEqualTo("true");
    assertThat(GrowthBook.hashValue(false)).isNull();
  }
}
