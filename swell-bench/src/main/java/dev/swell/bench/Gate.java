package dev.swell.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;

/**
 * The performance regression gate. Runs the variants of {@code PredictBenchmark} for every
 * workload, interleaved in one JVM ({@link PairedRun}), turns each variant's time into a ratio
 * against {@code rawOrt} measured in the same rounds, and compares the ratios with {@code baseline.json}: a ratio worse
 * than its baseline by more than the baseline's tolerance fails the gate (exit code 1); DJL's
 * ratios are reported beside Swell's for reference and never fail it. Prints a
 * table, and writes {@code target/gate/report.json} and a chart, {@code target/gate/report.svg}.
 *
 * <p>Arguments: {@code --update-baseline} writes the measured ratios as the new baseline, each
 * with a tolerance of three times its measured relative error (at least 5%; two runs of the same code
 * here differed by at most 2.6%), errors from the
 * median and median absolute deviation of the per-round ratios;
 * {@code --workloads a,b} limits the workloads; {@code --quick} shortens the runs.
 *
 * <p>Run: {@code ./mvnw -B -q -pl swell-bench -am package exec:exec@gate -DskipTests}.
 */
public final class Gate {

  static final String REFERENCE = "rawOrt";
  static final double MIN_TOLERANCE = 0.05;

  private Gate() {}

  /** One measured ratio. */
  record Ratio(String workload, String variant, double ratio, double error, double micros,
      double allocBytes, double refAllocBytes) {
    String key() {
      return workload + "/" + variant;
    }
  }

  /**
   * Runs the gate.
   *
   * @param args options, see the class comment
   * @throws Exception if the benchmarks cannot run
   */
  public static void main(String[] args) throws Exception {
    boolean update = false;
    boolean quick = false;
    String workloads = "mlp-b1,mlp-b64,minilm-b1-s32,minilm-b1-s128";
    for (int i = 0; i < args.length; i++) {
      switch (args[i]) {
        case "":
          break;
        case "--update-baseline":
          update = true;
          break;
        case "--quick":
          quick = true;
          break;
        case "--workloads":
          workloads = args[++i];
          break;
        default:
          for (String a : args[i].split("\\s+")) { // exec passes ${gate.args} as one argument
            if (a.equals("--update-baseline")) {
              update = true;
            } else if (a.equals("--quick")) {
              quick = true;
            } else if (a.startsWith("--workloads=")) {
              workloads = a.substring("--workloads=".length());
            } else if (!a.isBlank()) {
              System.err.println("unknown argument " + a);
              System.exit(2);
            }
          }
      }
    }
    List<Ratio> ratios = measure(workloads.split(","), quick);
    ratios.sort(java.util.Comparator.comparing(Ratio::key));
    Path baselineFile = Path.of("baseline.json");
    Path outDir = Path.of("target", "gate");
    Files.createDirectories(outDir);
    ObjectMapper json = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);
    Map<String, double[]> baseline = new TreeMap<>();
    if (Files.exists(baselineFile)) {
      for (var e : json.readTree(baselineFile.toFile()).path("ratios").properties()) {
        baseline.put(e.getKey(), new double[] {e.getValue().path("ratio").asDouble(),
            e.getValue().path("tolerance").asDouble()});
      }
    }
    boolean failed = false;
    StringBuilder table = new StringBuilder();
    table.append(String.format(Locale.ROOT, "%-36s %10s %16s %8s %9s %12s %8s%n", "benchmark", "baseline",
        "measured", "change", "tolerance", "alloc B/op", "verdict"));
    ObjectNode report = json.createObjectNode();
    ObjectNode measured = report.putObject("ratios");
    for (Ratio r : ratios) {
      double[] base = baseline.get(r.key());
      String verdict = "new";
      String change = "";
      if (base != null) {
        double delta = r.ratio() / base[0] - 1;
        change = String.format(Locale.ROOT, "%+.1f%%", delta * 100);
        boolean regressed = delta > base[1];
        if (r.key().endsWith("/djl")) {
          // DJL is another library, measured beside Swell for reference: its ratio moves with
          // DJL and with the machine (up to 20% between runs here), never with Swell's code
          verdict = regressed ? "worse(i)" : "info";
        } else {
          verdict = regressed ? "FAIL" : "ok";
          failed |= regressed;
        }
      }
      table.append(String.format(Locale.ROOT, "%-36s %10s %9.3f ±%5.3f %8s %9s %12.0f %8s%n", r.key(),
          base == null ? "-" : String.format(Locale.ROOT, "%.3f", base[0]), r.ratio(), r.error(), change,
          base == null ? "-" : String.format(Locale.ROOT, "%.0f%%", base[1] * 100), r.allocBytes(), verdict));
      ObjectNode n = measured.putObject(r.key());
      n.put("ratio", r.ratio()).put("error", r.error()).put("micros", r.micros())
          .put("allocBytesPerOp", r.allocBytes()).put("rawOrtAllocBytesPerOp", r.refAllocBytes());
    }
    System.out.println();
    System.out.print(table);
    json.writeValue(outDir.resolve("report.json").toFile(), report);
    Files.writeString(outDir.resolve("report.svg"), Chart.svg(ratios, baseline));
    System.out.println("report: " + outDir.resolve("report.json").toAbsolutePath() + ", chart: "
        + outDir.resolve("report.svg").toAbsolutePath());
    if (update) {
      ObjectNode b = json.createObjectNode();
      b.put("note", "ratios against raw ONNX Runtime in the same run; tolerance = max(5%, 3 x relative error)");
      ObjectNode rs = b.putObject("ratios");
      for (Ratio r : ratios) {
        double tol = Math.max(MIN_TOLERANCE, 3 * r.error() / r.ratio());
        rs.putObject(r.key()).put("ratio", round(r.ratio())).put("tolerance", round(tol));
      }
      json.writeValue(baselineFile.toFile(), b);
      System.out.println("baseline written: " + baselineFile.toAbsolutePath());
      return;
    }
    if (failed) {
      System.out.println("GATE FAILED: a ratio regressed beyond its tolerance");
      System.exit(1);
    }
    System.out.println(baseline.isEmpty() ? "no baseline yet: run with --update-baseline" : "gate passed");
  }

  private static double round(double v) {
    return Math.round(v * 10000) / 10000.0;
  }

  /**
   * Measures every workload with {@link PairedRun}: per variant, the median of the per-round
   * ratios against the reference, with error 1.4826 × MAD / √rounds.
   */
  private static List<Ratio> measure(String[] workloads, boolean quick) throws Exception {
    List<Ratio> out = new ArrayList<>();
    for (String workload : workloads) {
      System.out.println("measuring " + workload + " ...");
      PairedRun.Result r = PairedRun.run(workload, quick ? 15 : 40, 20261124);
      for (var e : r.ratios().entrySet()) {
        List<Double> v = e.getValue();
        double median = median(v);
        List<Double> dev = new ArrayList<>();
        for (double x : v) {
          dev.add(Math.abs(x - median));
        }
        double err = 1.4826 * median(dev) / Math.sqrt(v.size());
        out.add(new Ratio(workload, e.getKey(), median, err, r.micros().get(e.getKey()),
            r.allocBytes().get(e.getKey()), r.allocBytes().get(REFERENCE)));
      }
    }
    return out;
  }

  static double median(List<Double> values) {
    List<Double> v = new ArrayList<>(values);
    v.sort(null);
    int n = v.size();
    return n % 2 == 1 ? v.get(n / 2) : (v.get(n / 2 - 1) + v.get(n / 2)) / 2;
  }
}
