package dev.swell.samples.server;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatNoException;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.MappingIterator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.dataformat.yaml.YAMLFactory;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Structural checks of the deployment files in {@code deploy/}: the Kubernetes manifest and the Dockerfile agree
 * with each other and with the server (its main class, health routes, environment variables and drain time).
 * Neither file is applied or built here: there is no cluster and no Docker engine, so this is what checks them.
 */
class DeploymentFilesTest {

  // Maven runs a module's tests in the module's folder, samples/server
  static final Path MANIFEST = Path.of("deploy", "kubernetes.yaml");
  static final Path DOCKERFILE = Path.of("deploy", "Dockerfile");
  static final String MAIN_CLASS = "dev.swell.samples.server.ServerMain";
  static final Set<String> HEALTH_ROUTES = Set.of("/v2/health/live", "/v2/health/ready");
  static final Set<String> ENV_SERVER_MAIN_READS = Set.of("SWELL_ADMIN_TOKEN_FILE", "SWELL_ADMIN_TOKEN",
      "SWELL_INFERENCE_TOKEN_FILE", "SWELL_INFERENCE_TOKEN", "SWELL_RATE_LIMIT");

  static final Map<String, JsonNode> BY_KIND = new LinkedHashMap<>();
  static final List<String> DOCKER = new ArrayList<>(); // instructions, continuations joined, comments dropped
  static JsonNode pod;
  static JsonNode container;

  @BeforeAll
  static void read() throws IOException {
    try (MappingIterator<JsonNode> docs =
        new ObjectMapper(new YAMLFactory()).readerFor(JsonNode.class).readValues(MANIFEST.toFile())) {
      while (docs.hasNext()) {
        JsonNode doc = docs.next();
        if (doc != null && doc.has("kind")) {
          BY_KIND.putIfAbsent(doc.get("kind").asText(), doc);
        }
      }
    }
    assertThat(BY_KIND).as("kinds in %s", MANIFEST)
        .containsKeys("Deployment", "Service", "HorizontalPodAutoscaler", "PodDisruptionBudget");
    pod = BY_KIND.get("Deployment").at("/spec/template/spec");
    assertThat(pod.path("containers")).as("the Deployment's containers (exactly one expected)").hasSize(1);
    container = pod.path("containers").get(0);
    StringBuilder current = new StringBuilder();
    for (String line : Files.readAllLines(DOCKERFILE)) {
      String t = line.strip();
      if (t.isEmpty() || t.startsWith("#")) {
        continue;
      }
      current.append(t.endsWith("\\") ? t.substring(0, t.length() - 1) + " " : t);
      if (!t.endsWith("\\")) {
        DOCKER.add(current.toString());
        current.setLength(0);
      }
    }
  }

  @Test
  void selectorsMatchThePodLabels() {
    JsonNode deployment = BY_KIND.get("Deployment");
    Map<String, String> labels = strings(deployment.at("/spec/template/metadata/labels"));
    assertThat(labels).as("the pod template's labels").containsEntry("app.kubernetes.io/name", "swell-server");
    assertThat(strings(deployment.at("/spec/selector/matchLabels"))).as("the Deployment's selector.matchLabels")
        .isEqualTo(labels);
    Map<String, String> service = strings(BY_KIND.get("Service").at("/spec/selector"));
    assertThat(service).as("the Service's selector (empty, or not matching the pod labels)").isNotEmpty();
    assertThat(labels).as("pod labels against the Service's selector").containsAllEntriesOf(service);
    Map<String, String> pdb = strings(BY_KIND.get("PodDisruptionBudget").at("/spec/selector/matchLabels"));
    assertThat(pdb).as("the PodDisruptionBudget's selector.matchLabels").isNotEmpty();
    assertThat(labels).as("pod labels against the PodDisruptionBudget's selector").containsAllEntriesOf(pdb);
    JsonNode target = BY_KIND.get("HorizontalPodAutoscaler").at("/spec/scaleTargetRef");
    assertThat(target.path("kind").asText()).as("the HPA's scaleTargetRef.kind").isEqualTo("Deployment");
    assertThat(target.path("name").asText()).as("the HPA's scaleTargetRef.name")
        .isEqualTo(deployment.at("/metadata/name").asText());
  }

  @Test
  void probesAndPortsAreTheServers() {
    Set<String> ports = new HashSet<>();
    container.path("ports").forEach(p -> {
      ports.add(p.path("name").asText());
      ports.add(p.path("containerPort").asText());
    });
    for (String probe : List.of("startupProbe", "livenessProbe", "readinessProbe")) {
      JsonNode get = container.path(probe).path("httpGet");
      assertThat(get.path("path").asText()).as("%s's path: not one of the server's health routes", probe)
          .isIn(HEALTH_ROUTES);
      assertThat(get.path("port").asText()).as("%s's port: not a port the container declares", probe).isIn(ports);
    }
    assertThat(container.at("/readinessProbe/httpGet/path").asText())
        .as("the readiness probe's path: only /v2/health/ready turns 503 while the server drains")
        .isEqualTo("/v2/health/ready");
    String port = container.at("/ports/0/containerPort").asText();
    List<String> exposed = new ArrayList<>();
    instructions("EXPOSE").forEach(e -> exposed.addAll(List.of(e.replace("/tcp", "").split("\\s+"))));
    assertThat(exposed).as("the Dockerfile's EXPOSE against containerPort %s", port).contains(port);
    JsonNode annotations = BY_KIND.get("Deployment").at("/spec/template/metadata/annotations");
    assertThat(annotations.path("prometheus.io/port").asText()).as("the prometheus.io/port annotation")
        .isEqualTo(port);
  }

  @Test
  void gracePeriodCoversPreStopAndDrain() {
    StringBuilder command = new StringBuilder();
    container.at("/lifecycle/preStop/exec/command").forEach(c -> command.append(c.asText()).append(' '));
    Matcher sleep = Pattern.compile("\\bsleep\\s+(\\d+)").matcher(command);
    assertThat(sleep.find()).as("a 'sleep N' in the preStop command, was '%s'", command).isTrue();
    long preStopMillis = Long.parseLong(sleep.group(1)) * 1000;
    long drainMillis = OipServer.Limits.defaults().stopTimeout().toMillis();
    long graceMillis = pod.path("terminationGracePeriodSeconds").asLong(30) * 1000; // Kubernetes' default: 30 s
    assertThat(graceMillis).as("terminationGracePeriodSeconds against preStop %d ms + drain %d ms",
        preStopMillis, drainMillis).isGreaterThan(preStopMillis + drainMillis);
  }

  @Test
  void theImageRunsServerMain() throws IOException {
    // a command replaces the image's ENTRYPOINT; args only replace its CMD
    List<String> launch = new ArrayList<>();
    if (container.has("command")) {
      container.path("command").forEach(c -> launch.add(c.asText()));
    } else {
      String entrypoint = instruction("ENTRYPOINT");
      assertThat(entrypoint).as("the Dockerfile's ENTRYPOINT: exec form, so the JVM itself gets SIGTERM")
          .startsWith("[");
      new ObjectMapper().readTree(entrypoint).forEach(c -> launch.add(c.asText()));
    }
    container.path("args").forEach(c -> launch.add(c.asText()));
    assertThat(launch).as("the container's command, or else the image's ENTRYPOINT").contains(MAIN_CLASS);
    assertThatNoException().as("%s.main(String[]) on the class path", MAIN_CLASS)
        .isThrownBy(() -> Class.forName(MAIN_CLASS).getMethod("main", String[].class));
    List<String> serverArgs = launch.subList(launch.indexOf(MAIN_CLASS) + 1, launch.size());
    assertThat(serverArgs).as("ServerMain's arguments REGISTRY_DIR [PORT]").hasSizeBetween(1, 2);
    List<String> mounts = new ArrayList<>();
    container.path("volumeMounts").forEach(m -> mounts.add(m.path("mountPath").asText()));
    assertThat(serverArgs.get(0)).as("ServerMain's REGISTRY_DIR: not a mounted volume").isIn(mounts);
    assertThat(serverArgs.size() == 2 ? serverArgs.get(1) : "8000").as("ServerMain's PORT against containerPort")
        .isEqualTo(container.at("/ports/0/containerPort").asText());
  }

  @Test
  void baseImagesArePinnedAndTheUserIsNotRoot() {
    List<String> stages = new ArrayList<>();
    for (String from : instructions("FROM")) {
      String[] words = from.split("\\s+");
      String image = words[0].startsWith("--") ? words[1] : words[0];
      if (!stages.contains(image)) { // FROM an earlier stage needs no tag
        String name = image.substring(image.lastIndexOf('/') + 1); // a registry's host:port has no tag
        String tag = name.contains(":") ? name.substring(name.indexOf(':') + 1) : "";
        assertThat(image.contains("@sha256:") || tag.matches(".*\\d+\\.\\d+.*"))
            .as("FROM %s: a pinned version tag (not untagged, latest or a floating tag like 17-jre)", image).isTrue();
      }
      if (words.length >= 3 && words[words.length - 2].equalsIgnoreCase("AS")) {
        stages.add(words[words.length - 1]);
      }
    }
    List<String> users = instructions("USER");
    assertThat(users).as("USER instructions in the Dockerfile").isNotEmpty();
    String user = users.get(users.size() - 1).split(":")[0];
    assertThat(user).as("the Dockerfile's final USER").isNotIn("root", "0");
    JsonNode podSecurity = pod.path("securityContext");
    JsonNode containerSecurity = container.path("securityContext");
    assertThat(containerSecurity.path("runAsNonRoot").asBoolean(podSecurity.path("runAsNonRoot").asBoolean()))
        .as("runAsNonRoot in the container's or the pod's securityContext").isTrue();
    String runAs = containerSecurity.path("runAsUser").asText(podSecurity.path("runAsUser").asText());
    if (!runAs.isEmpty()) {
      assertThat(runAs).as("the manifest's runAsUser against the Dockerfile's USER").isEqualTo(user);
    }
  }

  @Test
  void envAndMountsAreOnesTheServerUses() {
    Set<String> volumes = new HashSet<>();
    pod.path("volumes").forEach(v -> volumes.add(v.path("name").asText()));
    List<String> mounts = new ArrayList<>();
    container.path("volumeMounts").forEach(m -> {
      assertThat(m.path("name").asText()).as("volumeMount %s: no such volume", m.path("mountPath").asText())
          .isIn(volumes);
      mounts.add(m.path("mountPath").asText());
    });
    JsonNode claim = BY_KIND.get("PersistentVolumeClaim");
    if (claim != null) {
      assertThat(claim.at("/spec/accessModes").toString()).as("the registry claim's accessModes: replicas share it")
          .contains("ReadWriteMany");
    }
    if (container.at("/securityContext/readOnlyRootFilesystem").asBoolean()) {
      assertThat(mounts).as("a writable /tmp under a read-only root filesystem").contains("/tmp");
    }
    container.path("env").forEach(e -> {
      String name = e.path("name").asText();
      assertThat(name).as("env %s: not a variable ServerMain reads", name).isIn(ENV_SERVER_MAIN_READS);
      if (name.endsWith("_FILE")) {
        assertThat(mounts).as("env %s=%s: no volume mounted above it", name, e.path("value").asText())
            .anyMatch(m -> e.path("value").asText().startsWith(m + "/"));
      }
    });
  }

  /** The arguments of every Dockerfile instruction with this keyword. */
  static List<String> instructions(String keyword) {
    List<String> found = new ArrayList<>();
    for (String line : DOCKER) {
      String[] parts = line.split("\\s+", 2);
      if (parts[0].equalsIgnoreCase(keyword) && parts.length == 2) {
        found.add(parts[1].strip());
      }
    }
    return found;
  }

  /** The arguments of the last Dockerfile instruction with this keyword, the one that counts. */
  static String instruction(String keyword) {
    List<String> found = instructions(keyword);
    assertThat(found).as("a %s instruction in %s", keyword, DOCKERFILE).isNotEmpty();
    return found.get(found.size() - 1);
  }

  /** A YAML mapping of strings (labels, a selector) as a map; empty when the node is missing. */
  static Map<String, String> strings(JsonNode object) {
    Map<String, String> map = new LinkedHashMap<>();
    object.properties().forEach(e -> map.put(e.getKey(), e.getValue().asText()));
    return map;
  }
}
