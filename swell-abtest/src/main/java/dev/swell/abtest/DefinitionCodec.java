package dev.swell.abtest;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.abtest.assign.Allocation;
import dev.swell.api.VersionSelector;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;

/**
 * An experiment definition as JSON, field by field, so the stored layout is explicit: read back
 * exactly as written (bucket ranges as doubles, which JSON carries exactly), and refused with a
 * clear message when damaged or of a newer layout.
 */
final class DefinitionCodec {

  /** The layout this code writes; a newer one is refused rather than misread. */
  static final int FORMAT = 1;
  static final ObjectMapper JSON = new ObjectMapper();

  private DefinitionCodec() {}

  static String write(ExperimentDefinition d) {
    ObjectNode o = JSON.createObjectNode();
    o.put("format", FORMAT);
    o.put("key", d.key());
    o.put("model", d.model());
    o.put("hashAttribute", d.hashAttribute());
    o.put("seed", d.allocation().seed());
    o.put("hashVersion", d.allocation().hashVersion());
    o.put("coverage", d.coverage());
    d.allocation().namespace().ifPresent(ns -> o.putObject("namespace").put("id", ns.id())
        .put("start", ns.start()).put("end", ns.end()));
    ArrayNode vars = o.putArray("variations");
    for (int i = 0; i < d.variations().size(); i++) {
      Variant v = d.variations().get(i);
      ObjectNode n = vars.addObject();
      n.put("name", v.name());
      selector(n, v.selector());
      ArrayNode ranges = n.putArray("ranges");
      for (double[] r : d.allocation().ranges(i)) {
        ranges.addArray().add(r[0]).add(r[1]);
      }
    }
    ArrayNode shadows = o.putArray("shadows");
    for (ExperimentDefinition.Shadow s : d.shadows()) {
      ObjectNode n = shadows.addObject();
      n.put("name", s.variant().name());
      selector(n, s.variant().selector());
      n.put("fraction", s.fraction());
    }
    policy(o.putObject("policy"), d.policy());
    d.bandit().ifPresent(b -> o.putObject("bandit").put("everyMillis", b.every().toMillis()).put("floor", b.floor())
        .put("ceiling", b.ceiling()).put("burnIn", b.burnIn()).put("draws", b.draws()));
    o.put("decideEveryMillis", d.decideEvery().toMillis());
    o.put("status", d.status().name());
    ArrayNode stopped = o.putArray("stopped");
    d.stoppedVariants().stream().sorted().forEach(stopped::add);
    ArrayNode history = o.putArray("shareHistory");
    for (ExperimentDefinition.SharePeriod p : d.shareHistory()) {
      ArrayNode shares = history.addObject().put("revision", p.revision()).putArray("shares");
      for (double x : p.shares()) {
        shares.add(x);
      }
    }
    o.put("srmFlagged", d.srmFlagged());
    d.outcome().ifPresent(x -> o.put("outcome", x));
    try {
      return JSON.writeValueAsString(o);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static void selector(ObjectNode n, VersionSelector s) {
    n.put("selector", s.kind().name().toLowerCase(Locale.ROOT));
    if (s.kind() != VersionSelector.Kind.LATEST && s.kind() != VersionSelector.Kind.LATEST_STABLE) {
      n.put("version", s.value());
    }
  }

  private static VersionSelector selector(JsonNode n) {
    String kind = text(n, "selector");
    switch (kind) {
      case "latest":
        return VersionSelector.latest();
      case "latest_stable":
        return VersionSelector.latestStable();
      case "exact":
        return VersionSelector.exact(text(n, "version"));
      case "alias":
        return VersionSelector.alias(text(n, "version"));
      case "range":
        return VersionSelector.range(text(n, "version"));
      default:
        throw new IllegalArgumentException("unknown selector kind '" + kind + "'");
    }
  }

  private static void policy(ObjectNode o, DecisionPolicy p) {
    o.put("metric", p.metric());
    o.put("goal", p.goal().name());
    o.put("test", p.test().name());
    o.put("alpha", p.alpha());
    o.put("tuning", p.tuning());
    o.put("relative", p.relative());
    o.put("minUnits", p.minUnits());
    putNumber(o, "maxErrorRateIncrease", p.maxErrorRateIncrease());
    putNumber(o, "maxP99Increase", p.maxP99Increase());
    ObjectNode floors = o.putObject("floors");
    p.floors().forEach(floors::put);
    o.put("srmThreshold", p.srmThreshold());
    if (p.promoteAlias() != null) {
      o.put("promoteAlias", p.promoteAlias());
    }
  }

  private static void putNumber(ObjectNode o, String field, double x) {
    if (Double.isNaN(x)) {
      o.putNull(field);
    } else {
      o.put(field, x);
    }
  }

  static ExperimentDefinition read(String json, long revision) {
    JsonNode o;
    try {
      o = JSON.readTree(json);
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException("the experiment definition is not JSON: " + e.getOriginalMessage(), e);
    }
    int format = o.path("format").asInt(-1);
    if (format < 1) {
      throw new IllegalArgumentException("the experiment definition has no valid 'format'");
    }
    if (format > FORMAT) {
      throw new IllegalArgumentException("the experiment definition has layout " + format
          + ", newer than this Swell reads (" + FORMAT + "); upgrade Swell");
    }
    String key = text(o, "key");
    Allocation.Namespace ns = o.has("namespace") ? new Allocation.Namespace(text(o.get("namespace"), "id"),
        number(o.get("namespace"), "start"), number(o.get("namespace"), "end")) : null;
    List<Variant> variations = new ArrayList<>();
    List<List<double[]>> ranges = new ArrayList<>();
    JsonNode vars = o.path("variations");
    for (int i = 0; i < vars.size(); i++) {
      JsonNode v = vars.get(i);
      variations.add(new Variant(text(v, "name"), selector(v), i == 0 ? Variant.Role.CONTROL : Variant.Role.CHALLENGER));
      List<double[]> r = new ArrayList<>();
      for (JsonNode pair : v.path("ranges")) {
        r.add(new double[] {pair.get(0).doubleValue(), pair.get(1).doubleValue()});
      }
      ranges.add(r);
    }
    if (variations.isEmpty()) {
      throw new IllegalArgumentException("the experiment definition has no variations");
    }
    Allocation allocation = Allocation.ofRanges(text(o, "seed"), o.path("hashVersion").asInt(), variations.size(),
        ranges, ns);
    List<ExperimentDefinition.Shadow> shadows = new ArrayList<>();
    for (JsonNode s : o.path("shadows")) {
      shadows.add(new ExperimentDefinition.Shadow(new Variant(text(s, "name"), selector(s), Variant.Role.SHADOW),
          number(s, "fraction")));
    }
    JsonNode b = o.get("bandit");
    BanditPolicy bandit = b == null || b.isNull() ? null : BanditPolicy.every(Duration.ofMillis(b.path("everyMillis").asLong()))
        .floor(number(b, "floor")).ceiling(number(b, "ceiling")).burnIn(b.path("burnIn").asLong())
        .draws(b.path("draws").asInt()).build();
    Set<String> stopped = new TreeSet<>();
    o.path("stopped").forEach(n -> stopped.add(n.asText()));
    List<ExperimentDefinition.SharePeriod> history = new ArrayList<>();
    for (JsonNode h : o.path("shareHistory")) {
      JsonNode sh = h.path("shares");
      double[] shares = new double[sh.size()];
      for (int i = 0; i < shares.length; i++) {
        shares[i] = sh.get(i).doubleValue();
      }
      history.add(new ExperimentDefinition.SharePeriod(h.path("revision").asLong(), shares));
    }
    return new ExperimentDefinition(key, text(o, "model"), text(o, "hashAttribute"), number(o, "coverage"), variations,
        shadows, allocation, policy(o.path("policy")), bandit, Duration.ofMillis(o.path("decideEveryMillis").asLong()),
        ExperimentDefinition.Status.valueOf(text(o, "status")), stopped, history, o.path("srmFlagged").asBoolean(),
        o.hasNonNull("outcome") ? o.get("outcome").asText() : null, revision);
  }

  private static DecisionPolicy policy(JsonNode p) {
    DecisionPolicy.Goal goal = DecisionPolicy.Goal.valueOf(text(p, "goal"));
    DecisionPolicy.Builder b = goal == DecisionPolicy.Goal.MAXIMIZE ? DecisionPolicy.maximize(text(p, "metric"))
        : DecisionPolicy.minimize(text(p, "metric"));
    b.test(DecisionPolicy.Test.valueOf(text(p, "test"))).alpha(number(p, "alpha")).tuning(number(p, "tuning"))
        .relative(p.path("relative").asBoolean(true)).minUnits(p.path("minUnits").asLong())
        .maxErrorRateIncrease(p.path("maxErrorRateIncrease").isNumber() ? p.get("maxErrorRateIncrease").doubleValue() : Double.NaN)
        .maxP99Increase(p.path("maxP99Increase").isNumber() ? p.get("maxP99Increase").doubleValue() : Double.NaN)
        .srmThreshold(number(p, "srmThreshold"))
        .promoteAlias(p.hasNonNull("promoteAlias") ? p.get("promoteAlias").asText() : null);
    p.path("floors").properties().forEach(e -> b.floor(e.getKey(), e.getValue().doubleValue()));
    return b.build();
  }

  private static String text(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isTextual()) {
      throw new IllegalArgumentException("the experiment definition's '" + field + "' is missing or not text");
    }
    return n.asText();
  }

  private static double number(JsonNode o, String field) {
    JsonNode n = o.get(field);
    if (n == null || !n.isNumber()) {
      throw new IllegalArgumentException("the experiment definition's '" + field + "' is missing or not a number");
    }
    return n.doubleValue();
  }
}
