package dev.swell.registry;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.api.DType;
import dev.swell.api.Signature;
import dev.swell.api.TensorSpec;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * The registry's JSON documents, written field by field so the layout on disk is explicit and
 * stable: manifests, alias files and event-log lines.
 */
final class RegistryJson {

  static final ObjectMapper MAPPER = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
  private static final ObjectMapper COMPACT = new ObjectMapper();
  /** Refuses duplicate keys: a document that says two things is damaged, not the last one wins. */
  private static final ObjectMapper STRICT = new ObjectMapper()
      .enable(com.fasterxml.jackson.core.JsonParser.Feature.STRICT_DUPLICATE_DETECTION);

  private RegistryJson() {}

  // ------------------------------------------------------------------ manifest

  static byte[] manifest(Manifest m) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("formatVersion", m.formatVersion());
    o.put("name", m.name());
    o.put("version", m.version().toString());
    o.put("format", m.format());
    o.put("primaryFile", m.primaryFile());
    ArrayNode files = o.putArray("files");
    for (FileEntry f : m.files()) {
      files.addObject().put("path", f.path()).put("size", f.size()).put("sha256", f.sha256());
    }
    o.put("createdAt", m.createdAt().toString());
    o.put("createdBy", m.createdBy());
    if (m.parent() != null) {
      o.put("parent", m.parent().toString());
    } else {
      o.putNull("parent");
    }
    ObjectNode tags = o.putObject("tags");
    new TreeMap<>(m.tags()).forEach(tags::put);
    ObjectNode metrics = o.putObject("metrics");
    new TreeMap<>(m.metrics()).forEach(metrics::put);
    o.put("description", m.description());
    if (m.signature() != null) {
      ObjectNode sig = o.putObject("signature");
      specs(sig.putArray("inputs"), m.signature().inputs());
      specs(sig.putArray("outputs"), m.signature().outputs());
    } else {
      o.putNull("signature");
    }
    return write(MAPPER, o);
  }

  private static void specs(ArrayNode array, List<TensorSpec> specs) {
    for (TensorSpec s : specs) {
      ObjectNode n = array.addObject().put("name", s.name()).put("dtype", s.dtype().displayName());
      ArrayNode shape = n.putArray("shape");
      for (long d : s.shape()) {
        shape.add(d);
      }
    }
  }

  static Manifest manifest(byte[] bytes) throws IOException {
    JsonNode o = STRICT.readTree(bytes);
    if (o == null || !o.isObject()) {
      throw new IOException("manifest.json is not a JSON object");
    }
    int format = integer(required(o, "formatVersion"), "formatVersion", 1, Integer.MAX_VALUE);
    if (format > FileModelRegistry.FORMAT_VERSION) {
      throw new IOException("manifest format " + format + " is newer than this Swell understands ("
          + FileModelRegistry.FORMAT_VERSION + "); upgrade Swell");
    }
    try {
      List<FileEntry> files = new ArrayList<>();
      java.util.Set<String> paths = new java.util.HashSet<>();
      JsonNode list = required(o, "files");
      if (!list.isArray() || list.isEmpty()) {
        throw new IOException("files must be a non-empty array");
      }
      for (JsonNode f : list) {
        String path = text(f, "path");
        if (!paths.add(path)) {
          throw new IOException("file " + path + " is listed twice");
        }
        String sha = text(f, "sha256");
        if (!sha.matches("[0-9a-f]{64}")) {
          throw new IOException("file " + path + ": sha256 is not 64 lowercase hex digits");
        }
        files.add(new FileEntry(path, integer(required(f, "size"), "size of " + path, 0, Long.MAX_VALUE), sha));
      }
      Map<String, String> tags = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : object(o, "tags").properties()) {
        if (!e.getValue().isTextual()) {
          throw new IOException("tag " + e.getKey() + " is not a string");
        }
        tags.put(e.getKey(), e.getValue().asText());
      }
      Map<String, Double> metrics = new LinkedHashMap<>();
      for (Map.Entry<String, JsonNode> e : object(o, "metrics").properties()) {
        if (!e.getValue().isNumber()) {
          throw new IOException("metric " + e.getKey() + " is " + e.getValue() + ", not a number");
        }
        metrics.put(e.getKey(), e.getValue().asDouble());
      }
      JsonNode parent = o.path("parent");
      JsonNode sig = o.path("signature");
      Signature signature = sig.isObject()
          ? Signature.of(specs(sig.path("inputs")), specs(sig.path("outputs")))
          : null;
      SemVer version = SemVer.parse(text(o, "version"));
      SemVer parentVersion = parent.isTextual() ? SemVer.parse(parent.asText()) : null;
      if (version.equals(parentVersion)) {
        throw new IOException("version " + version + " names itself as its parent");
      }
      return new Manifest(format, text(o, "name"), version, text(o, "format"),
          text(o, "primaryFile"), files, Instant.parse(text(o, "createdAt")), text(o, "createdBy"),
          parentVersion, tags, metrics, o.path("description").asText(""), signature);
    } catch (RuntimeException e) {
      // a damaged manifest is an integrity problem of its version, whatever part of it is wrong
      throw new IOException("invalid manifest: " + e.getMessage(), e);
    }
  }

  private static JsonNode object(JsonNode o, String field) throws IOException {
    JsonNode n = o.path(field);
    if (n.isMissingNode() || n.isNull()) {
      return MAPPER.createObjectNode();
    }
    if (!n.isObject()) {
      throw new IOException(field + " must be an object");
    }
    return n;
  }

  /** An integral JSON number within bounds: "x", 1.5 and numbers beyond long are refused, not read as 0 or wrapped. */
  private static int integer(JsonNode n, String what, int min, int max) throws IOException {
    return (int) integer(n, what, (long) min, (long) max);
  }

  private static long integer(JsonNode n, String what, long min, long max) throws IOException {
    if (!n.isIntegralNumber() || !n.canConvertToLong() || n.asLong() < min || n.asLong() > max) {
      throw new IOException(what + " is " + n + ", expected a whole number from " + min + " to " + max);
    }
    return n.asLong();
  }

  private static List<TensorSpec> specs(JsonNode array) {
    List<TensorSpec> specs = new ArrayList<>();
    for (JsonNode n : array) {
      long[] shape = new long[n.path("shape").size()];
      for (int i = 0; i < shape.length; i++) {
        JsonNode d = n.path("shape").get(i);
        if (!d.isIntegralNumber() || !d.canConvertToLong()) {
          throw new IllegalArgumentException("tensor " + n.path("name").asText() + ": dimension " + d
              + " is not a whole number");
        }
        shape[i] = d.asLong();
      }
      specs.add(TensorSpec.of(n.path("name").asText(), DType.fromName(n.path("dtype").asText()), shape));
    }
    return specs;
  }

  // ------------------------------------------------------------------ aliases

  static byte[] aliases(AliasBook book) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("formatVersion", FileModelRegistry.FORMAT_VERSION);
    ObjectNode aliases = o.putObject("aliases");
    for (Map.Entry<String, AliasBook.Entry> e : new TreeMap<>(book.entries()).entrySet()) {
      ObjectNode a = aliases.putObject(e.getKey());
      a.put("version", e.getValue().target().toString());
      ArrayNode stack = a.putArray("rollbackStack");
      e.getValue().stack().forEach(v -> stack.add(v.toString()));
      ArrayNode history = a.putArray("history");
      for (AliasMove m : e.getValue().history()) {
        ObjectNode h = history.addObject();
        if (m.from() != null) {
          h.put("from", m.from().toString());
        } else {
          h.putNull("from");
        }
        h.put("to", m.to().toString()).put("at", m.at().toString()).put("actor", m.actor())
            .put("action", m.action());
      }
    }
    return write(MAPPER, o);
  }

  static AliasBook aliases(byte[] bytes) throws IOException {
    JsonNode o = STRICT.readTree(bytes);
    if (o == null || !o.isObject()) {
      throw new IOException("invalid aliases file: not a JSON object");
    }
    JsonNode layout = o.path("formatVersion");
    if (!layout.isMissingNode()) { // files of the first releases carry none
      int format = integer(layout, "formatVersion", 1, Integer.MAX_VALUE);
      if (format > FileModelRegistry.FORMAT_VERSION) {
        // never rewritten as the older layout: its unknown fields would be lost
        throw new IOException("aliases.json is of layout " + format + ", newer than this Swell reads and writes ("
            + FileModelRegistry.FORMAT_VERSION + "); upgrade Swell to read or change its aliases");
      }
    }
    Map<String, AliasBook.Entry> entries = new LinkedHashMap<>();
    try {
      for (var e : required(o, "aliases").properties()) {
        JsonNode a = e.getValue();
        List<SemVer> stack = new ArrayList<>();
        a.path("rollbackStack").forEach(v -> stack.add(SemVer.parse(v.asText())));
        List<AliasMove> history = new ArrayList<>();
        for (JsonNode h : a.path("history")) {
          JsonNode from = h.path("from");
          history.add(new AliasMove(e.getKey(), from.isTextual() ? SemVer.parse(from.asText()) : null,
              SemVer.parse(text(h, "to")), Instant.parse(text(h, "at")), text(h, "actor"), text(h, "action")));
        }
        entries.put(e.getKey(), new AliasBook.Entry(SemVer.parse(text(a, "version")), stack, history));
      }
    } catch (RuntimeException e) {
      throw new IOException("invalid aliases file: " + e.getMessage(), e);
    }
    return new AliasBook(entries);
  }

  // ------------------------------------------------------------------ events

  static byte[] eventLine(RegistryEvent e) {
    ObjectNode o = COMPACT.createObjectNode();
    o.put("type", e.type().name());
    o.put("model", e.model());
    if (e.version() != null) {
      o.put("version", e.version().toString());
    }
    if (e.alias() != null) {
      o.put("alias", e.alias());
    }
    if (e.previous() != null) {
      o.put("previous", e.previous().toString());
    }
    o.put("at", e.at().toString());
    o.put("actor", e.actor());
    if (e.experiment() != null) {
      o.put("experiment", e.experiment());
    }
    if (e.detail() != null) {
      o.put("detail", e.detail());
    }
    byte[] json = write(COMPACT, o);
    byte[] line = new byte[json.length + 1];
    System.arraycopy(json, 0, line, 0, json.length);
    line[json.length] = '\n';
    return line;
  }

  /**
   * Parses one event line; returns null for an event type this Swell does not know (written by a
   * newer one), which readers skip.
   */
  static RegistryEvent event(String line) throws IOException {
    JsonNode o = COMPACT.readTree(line);
    if (o == null || !o.isObject()) {
      throw new IOException("not a JSON object");
    }
    RegistryEvent.Type type;
    try {
      type = RegistryEvent.Type.valueOf(text(o, "type"));
    } catch (IllegalArgumentException e) {
      return null;
    }
    try {
      return new RegistryEvent(type, text(o, "model"),
          o.path("version").isTextual() ? SemVer.parse(o.path("version").asText()) : null,
          o.path("alias").isTextual() ? o.path("alias").asText() : null,
          o.path("previous").isTextual() ? SemVer.parse(o.path("previous").asText()) : null,
          Instant.parse(text(o, "at")), text(o, "actor"),
          o.path("experiment").isTextual() ? o.path("experiment").asText() : null,
          o.path("detail").isTextual() ? o.path("detail").asText() : null);
    } catch (RuntimeException e) {
      throw new IOException("invalid event: " + e.getMessage(), e);
    }
  }

  // ------------------------------------------------------------------ experiments

  /** Parses text that must be one JSON object. */
  static JsonNode object(String json, String what) {
    try {
      JsonNode n = COMPACT.readTree(json);
      if (n == null || !n.isObject()) {
        throw new IllegalArgumentException(what + " must be a JSON object, got: " + abbreviate(json));
      }
      return n;
    } catch (JsonProcessingException e) {
      throw new IllegalArgumentException(what + " is not valid JSON: " + e.getOriginalMessage(), e);
    }
  }

  static String compact(JsonNode node) {
    return new String(write(COMPACT, node), StandardCharsets.UTF_8);
  }

  static byte[] experiment(ExperimentRecord r) {
    ObjectNode o = MAPPER.createObjectNode();
    o.put("formatVersion", FileModelRegistry.FORMAT_VERSION);
    o.put("model", r.model());
    o.put("key", r.key());
    o.put("revision", r.revision());
    o.put("updatedAt", r.updatedAt().toString());
    o.set("definition", object(r.definition(), "definition"));
    ArrayNode history = o.putArray("history");
    for (ExperimentChange c : r.history()) {
      ObjectNode h = history.addObject();
      h.put("revision", c.revision());
      h.put("at", c.at().toString());
      h.put("actor", c.actor());
      h.put("kind", c.kind());
      h.put("summary", c.summary());
      h.set("figures", object(c.figures(), "figures"));
    }
    return write(MAPPER, o);
  }

  static ExperimentRecord experiment(byte[] bytes, String model, String key) throws IOException {
    JsonNode o = MAPPER.readTree(bytes);
    try {
      int format = required(o, "formatVersion").asInt(-1);
      if (format < 1 || !required(o, "formatVersion").isInt()) {
        throw new IOException("formatVersion is not a positive integer");
      }
      if (format > FileModelRegistry.FORMAT_VERSION) {
        throw new IOException("layout " + format + " is newer than this Swell reads ("
            + FileModelRegistry.FORMAT_VERSION + "); upgrade Swell");
      }
      if (!text(o, "model").equals(model) || !text(o, "key").equals(key)) {
        throw new IOException("the file names experiment '" + text(o, "key") + "' of model '"
            + text(o, "model") + "'");
      }
      JsonNode def = required(o, "definition");
      if (!def.isObject()) {
        throw new IOException("definition is not an object");
      }
      List<ExperimentChange> history = new ArrayList<>();
      for (JsonNode h : required(o, "history")) {
        history.add(new ExperimentChange(required(h, "revision").asLong(), Instant.parse(text(h, "at")),
            text(h, "actor"), text(h, "kind"), text(h, "summary"), compact(required(h, "figures"))));
      }
      long revision = required(o, "revision").asLong();
      return new ExperimentRecord(model, key, revision, compact(def), Instant.parse(text(o, "updatedAt")),
          history);
    } catch (RuntimeException e) {
      throw new IOException("invalid experiment file: " + e.getMessage(), e);
    }
  }

  private static String abbreviate(String s) {
    return s.length() <= 80 ? s : s.substring(0, 77) + "...";
  }

  // ------------------------------------------------------------------ helpers

  static byte[] write(ObjectMapper mapper, JsonNode node) {
    try {
      return mapper.writeValueAsString(node).getBytes(StandardCharsets.UTF_8);
    } catch (JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  private static JsonNode required(JsonNode o, String field) throws IOException {
    JsonNode n = o.get(field);
    if (n == null || n.isNull()) {
      throw new IOException("field '" + field + "' is missing");
    }
    return n;
  }

  private static String text(JsonNode o, String field) throws IOException {
    JsonNode n = required(o, field);
    if (!n.isTextual()) {
      throw new IOException("field '" + field + "' is not text");
    }
    return n.asText();
  }
}
