package dev.swell.samples.server;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.SemVer;
import java.io.InputStream;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.eclipse.jetty.http.HttpMethod;
import org.eclipse.jetty.io.Content;
import org.eclipse.jetty.server.Request;
import org.eclipse.jetty.server.Response;
import org.eclipse.jetty.util.Callback;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The admin API, behind the admin token (the caller checked it): {@code GET /admin/models} lists
 * models, versions and aliases; {@code PUT /admin/models/{m}/aliases/{a}} with
 * {@code {"version": "1.2.0"}} promotes (the registry re-verifies the bytes and the signature
 * policy first); {@code POST /admin/models/{m}/aliases/{a}/rollback} moves the alias back. Served
 * predictors that follow the alias switch with no failed request. The server's experiments:
 * {@code GET /admin/experiments}; {@code POST /admin/experiments/{key}/ramp} with
 * {@code {"variant": "canary", "share": 0.2}}; {@code POST /admin/experiments/{key}/stop} with an
 * optional {@code {"why": "..."}}. Changes go to the registry, so every replica follows.
 */
final class AdminRoutes {

  private static final Logger log = LoggerFactory.getLogger(AdminRoutes.class);
  private static final ObjectMapper JSON = new ObjectMapper();
  private static final Pattern ALIAS = Pattern.compile(
      "/admin/models/([A-Za-z0-9][A-Za-z0-9._-]*)/aliases/([A-Za-z][A-Za-z0-9._-]*)(/rollback)?");

  private static final Pattern EXPERIMENT = Pattern.compile(
      "/admin/experiments/([A-Za-z0-9][A-Za-z0-9._-]*)/(ramp|stop)");

  private final FileModelRegistry registry;
  private final Map<String, dev.swell.abtest.Experiment> experiments; // by model

  AdminRoutes(FileModelRegistry registry, Map<String, dev.swell.abtest.Experiment> experiments) {
    this.registry = registry;
    this.experiments = experiments;
  }

  boolean handle(Request request, Response response, Callback callback, String path, String method) {
    if (path.equals("/admin/experiments")) {
      if (!HttpMethod.GET.is(method)) {
        return OipServer.fail(request, response, callback, 405, path + " takes GET, not " + method);
      }
      ObjectNode root = JSON.createObjectNode();
      ArrayNode list = root.putArray("experiments");
      experiments.values().forEach(e -> list.add(describe(e.definition())));
      return OipServer.json(response, callback, 200, root);
    }
    Matcher x = EXPERIMENT.matcher(path);
    if (x.matches()) {
      if (!HttpMethod.POST.is(method)) {
        return OipServer.fail(request, response, callback, 405, path + " takes POST, not " + method);
      }
      dev.swell.abtest.Experiment e = experiments.values().stream().filter(v -> v.key().equals(x.group(1))).findFirst()
          .orElseThrow(() -> new dev.swell.api.ModelNotFoundException("this server runs no experiment '" + x.group(1)
              + "'; it runs " + experiments.values().stream().map(dev.swell.abtest.Experiment::key).toList(), null, null));
      JsonNode body = readBody(request);
      dev.swell.abtest.ExperimentDefinition next;
      if (x.group(2).equals("ramp")) {
        JsonNode variant = body.get("variant");
        JsonNode share = body.get("share");
        if (variant == null || !variant.isTextual() || share == null || !share.isNumber()) {
          throw new OipJson.BadRequest("the body must be {\"variant\": \"...\", \"share\": 0.2}");
        }
        next = e.ramp(variant.asText(), share.asDouble()); // IllegalArgumentException: 400
        log.info("admin: ramped {} {} to {}", e.key(), variant.asText(), share.asDouble());
      } else {
        JsonNode why = body.get("why");
        next = e.stop(why != null && why.isTextual() ? why.asText() : "stopped through the admin API");
        log.info("admin: stopped {}", e.key());
      }
      return OipServer.json(response, callback, 200, describe(next));
    }
    if (path.equals("/admin/models")) {
      if (!HttpMethod.GET.is(method)) {
        return OipServer.fail(request, response, callback, 405, path + " takes GET, not " + method);
      }
      ObjectNode root = JSON.createObjectNode();
      ArrayNode models = root.putArray("models");
      for (String m : registry.models()) {
        ObjectNode o = models.addObject().put("name", m);
        ArrayNode versions = o.putArray("versions");
        registry.versions(m).forEach(v -> versions.add(v.toString()));
        ObjectNode aliases = o.putObject("aliases");
        for (Map.Entry<String, SemVer> a : registry.aliases(m).entrySet()) {
          aliases.put(a.getKey(), a.getValue().toString());
        }
      }
      return OipServer.json(response, callback, 200, root);
    }
    Matcher m = ALIAS.matcher(path);
    if (!m.matches()) {
      return OipServer.fail(request, response, callback, 404, "no admin route " + path + "; see GET /admin/models, PUT"
          + " /admin/models/{model}/aliases/{alias}, POST /admin/models/{model}/aliases/{alias}/rollback");
    }
    String model = m.group(1);
    String alias = m.group(2);
    registry.requireModel(model);
    if (m.group(3) != null) {
      if (!HttpMethod.POST.is(method)) {
        return OipServer.fail(request, response, callback, 405, "rollback takes POST, not " + method);
      }
      SemVer before = registry.alias(model, alias).orElse(null);
      SemVer now = registry.rollback(model, alias);
      log.info("admin: rolled {}@{} back from {} to {}", model, alias, before, now);
      return OipServer.json(response, callback, 200, JSON.createObjectNode().put("model", model).put("alias", alias)
          .put("version", now.toString()).put("previous", String.valueOf(before)));
    }
    if (!HttpMethod.PUT.is(method)) {
      return OipServer.fail(request, response, callback, 405, "setting an alias takes PUT with {\"version\": ...}, not " + method);
    }
    JsonNode body = readBody(request);
    JsonNode version = body.get("version");
    if (version == null || !version.isTextual()) {
      throw new OipJson.BadRequest("the body must be {\"version\": \"x.y.z\"}");
    }
    SemVer target = SemVer.parse(version.asText()); // IllegalArgumentException: 400
    SemVer before = registry.alias(model, alias).orElse(null);
    registry.promote(model, target, alias);
    log.info("admin: moved {}@{} from {} to {}", model, alias, before, target);
    return OipServer.json(response, callback, 200, JSON.createObjectNode().put("model", model).put("alias", alias)
        .put("version", target.toString()).put("previous", before == null ? null : before.toString()));
  }

  /** A small JSON body (64 KiB at most), an empty object for none. */
  private static JsonNode readBody(Request request) {
    try (InputStream in = Content.Source.asInputStream(request)) {
      byte[] raw = in.readNBytes(64 << 10);
      JsonNode body = raw.length == 0 ? JSON.createObjectNode() : JSON.readTree(raw);
      if (body == null || !body.isObject()) {
        throw new OipJson.BadRequest("the body must be a JSON object");
      }
      return body;
    } catch (java.io.IOException e) {
      throw new OipJson.BadRequest("the body is not JSON: " + e.getMessage());
    }
  }

  private static ObjectNode describe(dev.swell.abtest.ExperimentDefinition d) {
    ObjectNode o = JSON.createObjectNode().put("key", d.key()).put("model", d.model()).put("status", d.status().toString())
        .put("revision", d.revision());
    ArrayNode variants = o.putArray("variants");
    for (dev.swell.abtest.Variant v : d.variations()) {
      variants.addObject().put("name", v.name()).put("version", v.selector().toString()).put("share", d.share(v.name()));
    }
    return o;
  }
}
