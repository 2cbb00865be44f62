package dev.swell.registry.cli;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import dev.swell.api.SwellException;
import dev.swell.api.VersionSelector;
import dev.swell.registry.AliasMove;
import dev.swell.registry.FileEntry;
import dev.swell.registry.FileModelRegistry;
import dev.swell.registry.Manifest;
import dev.swell.registry.PublishRequest;
import dev.swell.registry.RegistryEvent;
import dev.swell.registry.RetentionPolicy;
import dev.swell.registry.SemVer;
import dev.swell.registry.VersionDiff;
import dev.swell.registry.signing.SigningKeys;
import dev.swell.registry.signing.TrustPolicy;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * The {@code swell-registry} command: manages a registry folder from a shell.
 *
 * <p>Exit codes: 0 success, 1 the operation failed (not found, integrity, conflict), 2 the command
 * line was wrong, 3 an I/O error.
 *
 * <pre>
 * swell-registry --root /srv/models publish fraud model.onnx --bump minor --metric auc=0.93
 * swell-registry --root /srv/models promote fraud 1.3.0
 * swell-registry --root /srv/models --json list fraud
 * </pre>
 */
public final class RegistryCli {

  static final int OK = 0;
  static final int FAILED = 1;
  static final int USAGE = 2;
  static final int IO = 3;

  static final String HELP = String.join("\n",
      "usage: swell-registry [--root DIR] [--json] [--trust PUBKEY.pem]... COMMAND [ARGS]",
      "       swell-registry COMMAND --help      swell-registry --version (before any command)",
      "",
      "The registry folder is --root, else $SWELL_REGISTRY; it must have been created with init (a mistyped",
      "--root never creates a registry). With --trust, every model must be signed by one of the given keys",
      "to be shown as intact, verified or promoted. --root, --json and --trust may come anywhere. Wherever",
      "a VERSION is asked for, an alias (production), latest, latest-stable or a range (^1.2) also does.",
      "",
      "commands:",
      "  init                           create an empty registry in the --root folder",
      "  publish MODEL FILE... (--version V | --bump major|minor|patch) [--parent V | --parent-latest]",
      "          [--primary PATH] [--format F] [--tag K=V]... [--metric K=NUMBER]... [--description TEXT]",
      "  list [MODEL]                   models, or a model's versions (newest first) and aliases",
      "  show MODEL SELECTOR            a version's manifest (SELECTOR: 1.2.3, an alias, latest, ^1.2 ...)",
      "  alias MODEL ALIAS VERSION [--expect V|none]   point an alias at a verified version (compare-and-set)",
      "  alias MODEL ALIAS --delete                    delete an alias",
      "  promote MODEL VERSION [--alias A] [--check] [--force REASON]",
      "                                 point A (default production) at VERSION once it verifies (hashes, and",
      "                                 signature under --trust); --check also loads it with a backend on the",
      "                                 class path; --force skips the checks, recording REASON",
      "  rollback MODEL ALIAS           return an alias to its previous target",
      "  log MODEL                      the model's event log",
      "  verify [MODEL [VERSION]] [--key PUBKEY.pem]...  re-hash files against manifests; with --key, also",
      "                                 require signatures by one of the keys",
      "  export FILE.zip [MODEL]...     back up models (all by default): versions, aliases, history, events,",
      "                                 experiments, with a manifest of SHA-256 digests",
      "  import FILE.zip                restore an archive into this registry, all or nothing (hostile or",
      "                                 damaged archives and models that exist already are refused)",
      "  doctor                         JVM, memory, backends (native version, CUDA usable or why not), disk",
      "                                 headroom and whether the registry verifies; exit 1 if it does not",
      "  keygen --out PREFIX            write a new P-256 key pair: PREFIX.pem (private, mode 600), PREFIX.pub.pem",
      "  sign MODEL VERSION --key KEY.pem [--public-key PUB.pem]",
      "                                 sign a version (OpenSSF model signing; PUB defaults to KEY less .pem",
      "                                 plus .pub.pem); check it with model_signing verify key on the folder",
      "  diff MODEL V1 V2               metric deltas, tag and file changes",
      "  gc MODEL --keep N [--delete-ancestors] [--staging-max-age 10m] [--dry-run]",
      "                                 delete old versions (never aliased ones) and copies left by killed",
      "                                 publishers older than the age (default 1h; 0s also stops running ones);",
      "                                 --dry-run lists what would be deleted and deletes nothing",
      "  delete MODEL VERSION           delete one version no alias names (its number is never reused)",
      "",
      "exit codes: 0 ok, 1 failed, 2 usage error, 3 I/O error");

  private static final ObjectMapper JSON = new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT);

  private final PrintStream out;
  private final PrintStream err;
  private boolean json;

  private RegistryCli(PrintStream out, PrintStream err) {
    this.out = out;
    this.err = err;
  }

  /**
   * Runs the command and exits with its code.
   *
   * @param args the command line
   */
  public static void main(String[] args) {
    // warnings and errors only, on standard error (a service embedding the registry configures its own)
    if (System.getProperty("org.slf4j.simpleLogger.defaultLogLevel") == null) {
      System.setProperty("org.slf4j.simpleLogger.defaultLogLevel", "warn");
    }
    System.exit(run(args, System.out, System.err));
  }

  /**
   * Runs the command.
   *
   * @param args the command line
   * @param out where results go
   * @param err where errors and progress go
   * @return the exit code
   */
  public static int run(String[] args, PrintStream out, PrintStream err) {
    return new RegistryCli(out, err).execute(new ArrayDeque<>(List.of(args)));
  }

  private int execute(Deque<String> all) {
    String root = System.getenv("SWELL_REGISTRY");
    List<String> trusted = new ArrayList<>();
    boolean help = false;
    Deque<String> args = new ArrayDeque<>();
    // the global options may come before or after the command
    while (!all.isEmpty()) {
      String opt = all.pollFirst();
      switch (opt) {
        case "--root":
          if (all.isEmpty()) {
            return usage("--root needs a folder");
          }
          root = all.pollFirst();
          break;
        case "--json":
          json = true;
          break;
        case "--trust":
          if (all.isEmpty()) {
            return usage("--trust needs a public key file");
          }
          trusted.add(all.pollFirst());
          break;
        case "--help":
        case "-h":
          help = true;
          break;
        case "--version":
        case "-V":
          if (args.isEmpty()) { // before the command; after it, publish's --version V
            out.println("swell-registry " + version());
            return OK;
          }
          args.addLast(opt);
          break;
        default:
          args.addLast(opt);
      }
    }
    if (args.isEmpty()) {
      if (help) {
        out.println(HELP);
        return OK;
      }
      return usage("no command given");
    }
    if (args.peekFirst().startsWith("-")) {
      return usage("unknown option " + args.peekFirst());
    }
    String command = args.pollFirst();
    if (command.equals("help")) {
      command = args.isEmpty() ? null : args.pollFirst();
      help = true;
      if (command == null) {
        out.println(HELP);
        return OK;
      }
    }
    if (help) {
      String text = commandHelp(command);
      if (text == null) {
        return usage("unknown command '" + command + "'" + suggestion(command));
      }
      out.println(text);
      return OK;
    }
    if (command.equals("keygen")) {
      try {
        return keygen(args);
      } catch (UsageError | IllegalArgumentException e) {
        return usage(e.getMessage());
      } catch (UncheckedIOException e) {
        err.println("I/O error: " + e.getMessage());
        return IO;
      }
    }
    if (root == null) {
      return usage("no registry folder: give --root DIR or set SWELL_REGISTRY");
    }
    Path rootDir = Path.of(root);
    if (command.equals("init")) {
      if (!args.isEmpty()) {
        return usage("init takes no arguments");
      }
      boolean existed = java.nio.file.Files.isRegularFile(rootDir.resolve("registry.json"));
      try {
        FileModelRegistry.open(rootDir);
      } catch (SwellException | IllegalStateException e) {
        err.println("error: " + e.getMessage());
        return FAILED;
      } catch (UncheckedIOException e) {
        err.println("I/O error: " + e.getMessage());
        return IO;
      }
      out.println((existed ? "a registry exists already in " : "created an empty registry in ") + rootDir);
      return OK;
    }
    if (commandHelp(command) == null) {
      return usage("unknown command '" + command + "'" + suggestion(command));
    }
    if (!java.nio.file.Files.isRegularFile(rootDir.resolve("registry.json"))) {
      err.println("error: " + rootDir + " is not a Swell registry (it has no registry.json); create one with: "
          + "swell-registry --root " + rootDir + " init");
      return FAILED;
    }
    try {
      TrustPolicy.Builder policy = TrustPolicy.builder();
      for (String k : trusted) {
        policy.trust(readPublicKey(k));
      }
      FileModelRegistry registry = FileModelRegistry.builder(rootDir).trustPolicy(policy.build()).build();
      switch (command) {
        case "sign":
          return sign(registry, args);
        case "doctor":
          return doctor(registry, args);
        case "export": {
          Path file = Path.of(need(args, "FILE.zip"));
          var sum = dev.swell.registry.RegistryArchive.export(registry, new ArrayList<>(args), file);
          out.println("exported " + sum.models() + " (" + sum.files() + " files, " + sum.bytes() + " bytes) to " + file);
          return OK;
        }
        case "import": {
          Path file = Path.of(need(args, "FILE.zip"));
          noMore(args);
          var sum = dev.swell.registry.RegistryArchive.importInto(registry, file);
          out.println("imported " + sum.models() + " (" + sum.files() + " files, " + sum.bytes() + " bytes), verified");
          return OK;
        }
        case "publish":
          return publish(registry, args);
        case "list":
          return list(registry, args);
        case "show":
          return show(registry, args);
        case "alias":
          return alias(registry, args);
        case "promote":
          return promote(registry, args);
        case "rollback":
          return rollback(registry, args);
        case "log":
          return log(registry, args);
        case "verify":
          return verify(registry, args);
        case "diff":
          return diff(registry, args);
        case "gc":
          return gc(registry, args);
        case "delete":
          return delete(registry, args);
        default:
          return usage("unknown command '" + command + "'" + suggestion(command));
      }
    } catch (UsageError e) {
      return usage(e.getMessage());
    } catch (IllegalArgumentException e) {
      return usage(e.getMessage());
    } catch (SwellException | IllegalStateException e) {
      err.println("error: " + e.getMessage());
      return FAILED;
    } catch (UncheckedIOException e) {
      err.println("I/O error: " + e.getMessage());
      return IO;
    }
  }

  // ------------------------------------------------------------------ commands

  private int publish(FileModelRegistry registry, Deque<String> args) {
    List<String> positional = new ArrayList<>();
    Map<String, List<String>> opts = options(args, positional,
        List.of("--version", "--bump", "--parent", "--primary", "--format", "--tag", "--metric", "--description"),
        List.of("--parent-latest"));
    if (positional.size() < 2) {
      throw new UsageError("publish needs MODEL and at least one FILE");
    }
    PublishRequest.Builder b = PublishRequest.builder(positional.get(0));
    for (String f : positional.subList(1, positional.size())) {
      b.file(Path.of(f));
    }
    one(opts, "--version").ifPresent(b::version);
    one(opts, "--bump").ifPresent(v -> {
      try {
        b.bump(PublishRequest.Bump.valueOf(v.toUpperCase(Locale.ROOT)));
      } catch (IllegalArgumentException e) {
        throw new UsageError("--bump takes major, minor or patch, got '" + v + "'");
      }
    });
    one(opts, "--parent").ifPresent(v -> b.parent(SemVer.parse(v)));
    if (opts.containsKey("--parent-latest")) {
      b.parentIsLatest();
    }
    one(opts, "--primary").ifPresent(b::primaryFile);
    one(opts, "--format").ifPresent(b::format);
    one(opts, "--description").ifPresent(b::description);
    for (String t : opts.getOrDefault("--tag", List.of())) {
      String[] kv = keyValue(t, "--tag");
      b.tag(kv[0], kv[1]);
    }
    for (String m : opts.getOrDefault("--metric", List.of())) {
      String[] kv = keyValue(m, "--metric");
      try {
        b.metric(kv[0], Double.parseDouble(kv[1]));
      } catch (NumberFormatException e) {
        throw new UsageError("--metric " + m + ": '" + kv[1] + "' is not a number");
      }
    }
    b.progress(new ProgressBar(err));
    PublishRequest request;
    try {
      request = b.build();
    } catch (IllegalStateException e) {
      throw new UsageError(e.getMessage());
    }
    Manifest m = registry.publish(request);
    if (json) {
      print(manifestJson(m));
    } else {
      out.println("published " + m.name() + " " + m.version() + " (" + m.files().size() + " files, "
          + m.totalSize() + " bytes)");
    }
    return OK;
  }

  private int list(FileModelRegistry registry, Deque<String> args) {
    if (args.isEmpty()) {
      List<String> models = registry.models();
      if (json) {
        print(models);
      } else {
        models.forEach(out::println);
      }
      return OK;
    }
    String model = args.pollFirst();
    noMore(args);
    registry.requireModel(model);
    List<SemVer> versions = registry.versions(model);
    Map<String, SemVer> aliases = registry.aliases(model);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("model", model);
      o.put("versions", versions.stream().map(SemVer::toString).toList());
      Map<String, String> a = new LinkedHashMap<>();
      aliases.forEach((k, v) -> a.put(k, v.toString()));
      o.put("aliases", a);
      print(o);
    } else {
      for (SemVer v : versions) {
        List<String> names = new ArrayList<>();
        aliases.forEach((k, t) -> {
          if (t.equals(v)) {
            names.add(k);
          }
        });
        out.println(v + (names.isEmpty() ? "" : "  <- " + String.join(", ", names)));
      }
    }
    return OK;
  }

  private int show(FileModelRegistry registry, Deque<String> args) {
    String model = need(args, "MODEL");
    String selector = need(args, "SELECTOR");
    noMore(args);
    SemVer v = registry.resolveVersion(model, VersionSelector.parse(selector));
    Manifest m = registry.manifest(model, v);
    if (json) {
      print(manifestJson(m));
    } else {
      out.println(m.name() + " " + m.version() + "  format " + m.format() + ", primary " + m.primaryFile());
      out.println("created " + m.createdAt() + " by " + m.createdBy()
          + (m.parent() == null ? "" : ", parent " + m.parent()));
      if (!m.description().isEmpty()) {
        out.println("description: " + m.description());
      }
      m.tags().forEach((k, val) -> out.println("tag " + k + "=" + val));
      m.metrics().forEach((k, val) -> out.println("metric " + k + "=" + val));
      for (FileEntry f : m.files()) {
        out.println("file " + f.path() + "  " + f.size() + " bytes  sha256 " + f.sha256());
      }
      if (m.signature() != null) {
        out.println("signature " + m.signature());
      }
    }
    return OK;
  }

  private int alias(FileModelRegistry registry, Deque<String> args) {
    List<String> positional = new ArrayList<>();
    Map<String, List<String>> opts = options(args, positional, List.of("--expect"), List.of("--delete"));
    if (opts.containsKey("--delete")) {
      if (positional.size() != 2 || opts.containsKey("--expect")) {
        throw new UsageError("alias --delete needs MODEL ALIAS and nothing else");
      }
      SemVer was = registry.deleteAlias(positional.get(0), positional.get(1));
      if (json) {
        print(Map.of("action", "delete", "model", positional.get(0), "alias", positional.get(1), "was", was.toString()));
      } else {
        out.println(positional.get(0) + " " + positional.get(1) + ": deleted (it pointed at " + was + ")");
      }
      return OK;
    }
    if (positional.size() != 3) {
      throw new UsageError("alias needs MODEL ALIAS VERSION");
    }
    String model = positional.get(0);
    String alias = positional.get(1);
    SemVer v = resolve(registry, positional.get(0), positional.get(2));
    var expect = one(opts, "--expect");
    if (expect.isPresent()) {
      SemVer expected = expect.get().equals("none") ? null : SemVer.parse(expect.get());
      if (!registry.compareAndSetAlias(model, expected, v, alias)) {
        err.println("error: alias '" + alias + "' no longer points at " + expect.get() + "; it points at "
            + registry.alias(model, alias).map(SemVer::toString).orElse("nothing"));
        return FAILED;
      }
      report("alias", model, alias, expected, v);
    } else {
      report("alias", model, alias, registry.setAlias(model, v, alias), v);
    }
    return OK;
  }

  private int promote(FileModelRegistry registry, Deque<String> args) {
    List<String> positional = new ArrayList<>();
    Map<String, List<String>> opts = options(args, positional, List.of("--alias", "--force"), List.of("--check"));
    if (positional.size() != 2) {
      throw new UsageError("promote needs MODEL VERSION");
    }
    String model = positional.get(0);
    String alias = one(opts, "--alias").orElse("production");
    SemVer v = resolve(registry, model, positional.get(1));
    var force = one(opts, "--force");
    if (force.isPresent()) {
      if (opts.containsKey("--check")) {
        throw new UsageError("--check and --force contradict each other");
      }
      err.println("warning: promoting " + model + " " + v + " without verifying it (" + force.get() + ")");
      report("promote", model, alias, registry.promoteForced(model, v, alias, force.get()), v);
      return OK;
    }
    if (opts.containsKey("--check")) {
      LoadCheck.run(registry.verify(model, v), model, v, err);
    }
    report("promote", model, alias, registry.promote(model, v, alias), v);
    return OK;
  }

  private int rollback(FileModelRegistry registry, Deque<String> args) {
    String model = need(args, "MODEL");
    String alias = need(args, "ALIAS");
    noMore(args);
    SemVer before = registry.alias(model, alias).orElse(null);
    report("rollback", model, alias, before, registry.rollback(model, alias));
    return OK;
  }

  private void report(String action, String model, String alias, SemVer from, SemVer to) {
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("action", action);
      o.put("model", model);
      o.put("alias", alias);
      o.put("from", from == null ? null : from.toString());
      o.put("to", to.toString());
      print(o);
    } else {
      out.println(model + " " + alias + ": " + (from == null ? "(new)" : from) + " -> " + to);
    }
  }

  private int log(FileModelRegistry registry, Deque<String> args) {
    String model = need(args, "MODEL");
    noMore(args);
    registry.requireModel(model);
    List<RegistryEvent> events = registry.events(model);
    if (json) {
      List<Map<String, Object>> list = new ArrayList<>();
      for (RegistryEvent e : events) {
        Map<String, Object> o = new LinkedHashMap<>();
        o.put("type", e.type().name());
        o.put("version", e.version() == null ? null : e.version().toString());
        o.put("alias", e.alias());
        o.put("previous", e.previous() == null ? null : e.previous().toString());
        o.put("at", e.at().toString());
        o.put("actor", e.actor());
        if (e.experiment() != null) {
          o.put("experiment", e.experiment());
          o.put("detail", e.detail());
        }
        list.add(o);
      }
      print(list);
    } else {
      for (RegistryEvent e : events) {
        if (e.type() == RegistryEvent.Type.EXPERIMENT) {
          out.println(e.at() + "  " + e.actor() + "  experiment " + e.experiment() + "  " + e.detail());
          continue;
        }
        out.println(e.at() + "  " + e.actor() + "  " + e.type().name().toLowerCase(Locale.ROOT) + "  "
            + (e.alias() == null ? "" : e.alias() + " " + (e.previous() == null ? "(new)" : e.previous()) + " -> ")
            + e.version());
      }
    }
    return OK;
  }

  private int verify(FileModelRegistry registry, Deque<String> args) {
    List<String> positional = new ArrayList<>();
    Map<String, List<String>> opts = options(args, positional, List.of("--key"), List.of());
    if (positional.size() > 2) {
      throw new UsageError("verify takes at most MODEL and VERSION");
    }
    List<java.security.PublicKey> keys = new ArrayList<>();
    for (String k : opts.getOrDefault("--key", List.of())) {
      keys.add(readPublicKey(k));
    }
    args = new ArrayDeque<>(positional);
    if (!keys.isEmpty()) {
      return verifySigned(registry, args, keys);
    }
    List<String> problems = new ArrayList<>();
    int checked = 0;
    if (args.isEmpty()) {
      problems.addAll(registry.verifyAll());
      for (String m : registry.models()) {
        checked += registry.versions(m).size();
      }
    } else {
      String model = args.pollFirst();
      registry.requireModel(model);
      List<SemVer> versions = args.isEmpty() ? registry.versions(model) : List.of(resolve(registry, model, args.pollFirst()));
      noMore(args);
      for (SemVer v : versions) {
        checked++;
        try {
          registry.verify(model, v);
        } catch (SwellException e) {
          problems.add(e.getMessage());
        }
      }
    }
    return verdict(problems, checked, "DAMAGED: ", "verified");
  }

  private int verifySigned(FileModelRegistry registry, Deque<String> args, List<java.security.PublicKey> keys) {
    List<String> problems = new ArrayList<>();
    int checked = 0;
    List<String> models = args.isEmpty() ? registry.models() : List.of(args.pollFirst());
    for (String model : models) {
      registry.requireModel(model);
      List<SemVer> versions = args.isEmpty() ? registry.versions(model) : List.of(resolve(registry, model, args.pollFirst()));
      for (SemVer v : versions) {
        checked++;
        try {
          registry.verifySignature(model, v, keys);
        } catch (SwellException e) {
          problems.add(e.getMessage());
        }
      }
    }
    return verdict(problems, checked, "REFUSED: ", "verified and signed by a trusted key");
  }

  private int verdict(List<String> problems, int checked, String prefix, String what) {
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("versionsChecked", checked);
      o.put("problems", problems);
      print(o);
    } else {
      problems.forEach(p -> out.println(prefix + p));
      out.println(problems.isEmpty() ? "ok: " + checked + " versions " + what : problems.size() + " problems in "
          + checked + " versions");
    }
    return problems.isEmpty() ? OK : FAILED;
  }

  private int doctor(FileModelRegistry registry, Deque<String> args) {
    noMore(args);
    Map<String, Object> report = dev.swell.registry.Diagnostics.collect(registry);
    if (json) {
      print(report);
    } else {
      printTree(report, "");
      @SuppressWarnings("unchecked")
      List<Object> backends = (List<Object>) report.get("backends");
      if (backends.isEmpty()) {
        out.println("note: no backend on the class path (add swell-onnx and ONNX Runtime to check them)");
      }
    }
    @SuppressWarnings("unchecked")
    Map<String, Object> reg = (Map<String, Object>) report.get("registry");
    return Boolean.TRUE.equals(reg.get("verifies")) ? OK : FAILED;
  }

  private void printTree(Object value, String indent) {
    if (value instanceof Map<?, ?> m) {
      for (Map.Entry<?, ?> e : m.entrySet()) {
        if (e.getValue() instanceof Map || (e.getValue() instanceof List<?> l && !l.isEmpty() && l.get(0) instanceof Map)) {
          out.println(indent + e.getKey() + ":");
          printTree(e.getValue(), indent + "  ");
        } else {
          out.println(indent + e.getKey() + ": " + e.getValue());
        }
      }
    } else if (value instanceof List<?> l) {
      for (Object o : l) {
        out.println(indent + "-");
        printTree(o, indent + "  ");
      }
    } else {
      out.println(indent + value);
    }
  }

  private int keygen(Deque<String> args) {
    List<String> positional = new ArrayList<>();
    Map<String, List<String>> opts = options(args, positional, List.of("--out"), List.of());
    if (!positional.isEmpty()) {
      throw new UsageError("keygen takes no arguments besides --out PREFIX");
    }
    String prefix = one(opts, "--out").orElseThrow(() -> new UsageError("keygen needs --out PREFIX"));
    Path priv = Path.of(prefix + ".pem");
    Path pub = Path.of(prefix + ".pub.pem");
    for (Path p : List.of(priv, pub)) {
      if (java.nio.file.Files.exists(p)) {
        err.println("error: " + p + " exists; keygen never overwrites a key");
        return FAILED;
      }
    }
    java.security.KeyPair pair = SigningKeys.generate();
    try {
      Path dir = priv.toAbsolutePath().getParent();
      java.nio.file.Files.createDirectories(dir);
      try {
        java.nio.file.Files.createFile(priv, java.nio.file.attribute.PosixFilePermissions.asFileAttribute(
            java.nio.file.attribute.PosixFilePermissions.fromString("rw-------")));
      } catch (UnsupportedOperationException e) {
        java.nio.file.Files.createFile(priv); // not POSIX (Windows): the folder's ACL applies
      }
      java.nio.file.Files.writeString(priv, SigningKeys.privateKeyPem(pair.getPrivate()));
      java.nio.file.Files.writeString(pub, SigningKeys.publicKeyPem(pair.getPublic()),
          java.nio.file.StandardOpenOption.CREATE_NEW, java.nio.file.StandardOpenOption.WRITE);
    } catch (java.io.IOException e) {
      throw new UncheckedIOException("cannot write the key: " + e.getMessage(), e);
    }
    String hint = SigningKeys.hint(pair.getPublic());
    if (json) {
      print(Map.of("privateKey", priv.toString(), "publicKey", pub.toString(), "hint", hint));
    } else {
      out.println("wrote " + priv + " (private; keep it secret) and " + pub + " (public; give it to verifiers)");
      out.println("key hint " + hint);
    }
    return OK;
  }

  private int sign(FileModelRegistry registry, Deque<String> args) {
    List<String> positional = new ArrayList<>();
    Map<String, List<String>> opts = options(args, positional, List.of("--key", "--public-key"), List.of());
    if (positional.size() != 2) {
      throw new UsageError("sign needs MODEL VERSION");
    }
    String keyFile = one(opts, "--key").orElseThrow(() -> new UsageError("sign needs --key KEY.pem"));
    String pubFile = one(opts, "--public-key")
        .orElse((keyFile.endsWith(".pem") ? keyFile.substring(0, keyFile.length() - 4) : keyFile) + ".pub.pem");
    java.security.PrivateKey priv;
    try {
      priv = SigningKeys.readPrivateKey(Path.of(keyFile));
    } catch (java.io.IOException e) {
      throw new UsageError("cannot read the private key " + keyFile + ": " + e.getMessage());
    }
    java.security.PublicKey pub = readPublicKey(pubFile);
    if (!SigningKeys.matches(priv, pub)) {
      throw new UsageError(pubFile + " is not the public half of " + keyFile);
    }
    SemVer v = resolve(registry, positional.get(0), positional.get(1));
    String hint = registry.sign(positional.get(0), v, new java.security.KeyPair(pub, priv));
    if (json) {
      print(Map.of("model", positional.get(0), "version", v.toString(), "hint", hint));
    } else {
      out.println("signed " + positional.get(0) + " " + v + " with key " + hint);
    }
    return OK;
  }

  private static java.security.PublicKey readPublicKey(String file) {
    try {
      return SigningKeys.readPublicKey(Path.of(file));
    } catch (java.io.IOException e) {
      throw new UsageError("cannot read the public key " + file + ": " + e.getMessage());
    }
  }

  private static final List<String> COMMANDS = List.of("publish", "list", "show", "alias", "promote", "rollback",
      "log", "verify", "diff", "gc", "keygen", "sign", "export", "import", "doctor", "help", "init", "delete");

  /** "; did you mean 'x'?" for a command one or two edits away from a real one. */
  static String suggestion(String typed) {
    String best = null;
    int bestDistance = 3;
    for (String c : COMMANDS) {
      int d = distance(typed, c);
      if (d < bestDistance) {
        best = c;
        bestDistance = d;
      }
    }
    return best == null ? "" : "; did you mean '" + best + "'?";
  }

  private static int distance(String a, String b) {
    int[] prev = new int[b.length() + 1];
    int[] cur = new int[b.length() + 1];
    for (int j = 0; j <= b.length(); j++) {
      prev[j] = j;
    }
    for (int i = 1; i <= a.length(); i++) {
      cur[0] = i;
      for (int j = 1; j <= b.length(); j++) {
        cur[j] = Math.min(Math.min(cur[j - 1], prev[j]) + 1, prev[j - 1] + (a.charAt(i - 1) == b.charAt(j - 1) ? 0 : 1));
      }
      int[] t = prev;
      prev = cur;
      cur = t;
    }
    return prev[b.length()];
  }

  private int diff(FileModelRegistry registry, Deque<String> args) {
    String model = need(args, "MODEL");
    SemVer a = resolve(registry, model, need(args, "V1"));
    SemVer b = resolve(registry, model, need(args, "V2"));
    noMore(args);
    VersionDiff d = registry.compare(model, a, b);
    if (json) {
      Map<String, Object> o = new LinkedHashMap<>();
      o.put("model", model);
      o.put("from", a.toString());
      o.put("to", b.toString());
      o.put("metricDeltas", d.metricDeltas());
      o.put("metricsOnlyInFrom", d.metricsOnlyInFrom());
      o.put("metricsOnlyInTo", d.metricsOnlyInTo());
      o.put("tagChanges", d.tagChanges());
      o.put("addedFiles", d.addedFiles());
      o.put("removedFiles", d.removedFiles());
      o.put("changedFiles", d.changedFiles());
      print(o);
    } else {
      out.println(model + " " + a + " -> " + b);
      d.metricDeltas().forEach((k, v) -> out.printf(Locale.ROOT, "metric %s %+.6g%n", k, v));
      d.metricsOnlyInFrom().forEach(k -> out.println("metric " + k + " only in " + a));
      d.metricsOnlyInTo().forEach(k -> out.println("metric " + k + " only in " + b));
      d.tagChanges().forEach((k, v) -> out.println("tag " + k + ": " + v.get(0) + " -> " + v.get(1)));
      d.addedFiles().forEach(f -> out.println("file added " + f));
      d.removedFiles().forEach(f -> out.println("file removed " + f));
      d.changedFiles().forEach(f -> out.println("file changed " + f));
    }
    return OK;
  }

  private int gc(FileModelRegistry registry, Deque<String> args) {
    List<String> positional = new ArrayList<>();
    Map<String, List<String>> opts = options(args, positional, List.of("--keep", "--staging-max-age"),
        List.of("--delete-ancestors", "--dry-run"));
    if (positional.size() != 1) {
      throw new UsageError("gc needs MODEL");
    }
    int keep;
    try {
      keep = Integer.parseInt(one(opts, "--keep").orElseThrow(() -> new UsageError("gc needs --keep N")));
    } catch (NumberFormatException e) {
      throw new UsageError("--keep takes a whole number");
    }
    RetentionPolicy policy = RetentionPolicy.keepLast(keep);
    if (opts.containsKey("--delete-ancestors")) {
      policy = policy.deletingAncestors();
    }
    var stagingAge = one(opts, "--staging-max-age");
    if (stagingAge.isPresent()) {
      try {
        policy = policy.withStagingMaxAge(java.time.Duration.parse("PT" + stagingAge.get().toUpperCase(Locale.ROOT)));
      } catch (java.time.format.DateTimeParseException e) {
        throw new UsageError("--staging-max-age takes a duration such as 10m, 30s or 0s, got '" + stagingAge.get() + "'");
      }
    }
    boolean dryRun = opts.containsKey("--dry-run");
    List<SemVer> deleted = dryRun ? registry.gcPlan(positional.get(0), policy) : registry.gc(positional.get(0), policy);
    if (json) {
      print(Map.of(dryRun ? "wouldDelete" : "deleted", deleted.stream().map(SemVer::toString).toList()));
    } else {
      out.println(deleted.isEmpty() ? "nothing to delete" : (dryRun ? "would delete " : "deleted ") + deleted);
    }
    return OK;
  }

  private int delete(FileModelRegistry registry, Deque<String> args) {
    String model = need(args, "MODEL");
    String version = need(args, "VERSION");
    noMore(args);
    registry.requireModel(model);
    SemVer v = resolve(registry, model, version);
    registry.delete(model, v);
    if (json) {
      print(Map.of("deleted", v.toString(), "model", model));
    } else {
      out.println("deleted " + model + " " + v);
    }
    return OK;
  }

  // ------------------------------------------------------------------ helpers

  private static Map<String, Object> manifestJson(Manifest m) {
    Map<String, Object> o = new LinkedHashMap<>();
    o.put("name", m.name());
    o.put("version", m.version().toString());
    o.put("format", m.format());
    o.put("primaryFile", m.primaryFile());
    List<Map<String, Object>> files = new ArrayList<>();
    for (FileEntry f : m.files()) {
      files.add(Map.of("path", f.path(), "size", f.size(), "sha256", f.sha256()));
    }
    o.put("files", files);
    o.put("createdAt", m.createdAt().toString());
    o.put("createdBy", m.createdBy());
    o.put("parent", m.parent() == null ? null : m.parent().toString());
    o.put("tags", m.tags());
    o.put("metrics", m.metrics());
    o.put("description", m.description());
    o.put("signature", m.signature() == null ? null : m.signature().toString());
    return o;
  }

  private void print(Object value) {
    try {
      out.println(JSON.writeValueAsString(value));
    } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
      throw new IllegalStateException(e);
    }
  }

  /**
   * A version as a user names it wherever one is asked for: exact ({@code 1.2.3}), an alias
   * ({@code production}), {@code latest}, {@code latest-stable} or a range ({@code ^1.2}).
   */
  private static SemVer resolve(FileModelRegistry registry, String model, String text) {
    registry.requireModel(model);
    return registry.resolveVersion(model, VersionSelector.parse(text));
  }

  /** The help lines of one command (its usage line and the lines indented under it), or null. */
  static String commandHelp(String command) {
    List<String> lines = HELP.lines().toList();
    StringBuilder b = new StringBuilder();
    boolean in = false;
    for (String line : lines) {
      if (line.startsWith("  ") && !line.startsWith("   ")) {
        in = line.substring(2).equals(command) || line.substring(2).startsWith(command + " ");
      } else if (!line.startsWith("   ")) {
        in = false;
      }
      if (in) {
        b.append(b.length() == 0 ? "usage: swell-registry [--root DIR] [--json] " + line.strip() : "\n" + line);
      }
    }
    return b.length() == 0 ? null : b.append("\n\nexit codes: 0 ok, 1 failed, 2 usage error, 3 I/O error").toString();
  }

  /** This tool's version, from the jar's build. */
  static String version() {
    try (java.io.InputStream in = RegistryCli.class.getResourceAsStream("version.properties")) {
      java.util.Properties p = new java.util.Properties();
      if (in != null) {
        p.load(in);
      }
      return p.getProperty("version", "unknown");
    } catch (java.io.IOException e) {
      return "unknown";
    }
  }

  private int usage(String message) {
    err.println("error: " + message);
    err.println("run 'swell-registry --help' for usage");
    return USAGE;
  }

  private static Map<String, List<String>> options(Deque<String> args, List<String> positional,
      List<String> withValue, List<String> flags) {
    Map<String, List<String>> opts = new LinkedHashMap<>();
    while (!args.isEmpty()) {
      String a = args.pollFirst();
      if (withValue.contains(a)) {
        if (args.isEmpty()) {
          throw new UsageError(a + " needs a value");
        }
        opts.computeIfAbsent(a, k -> new ArrayList<>()).add(args.pollFirst());
      } else if (flags.contains(a)) {
        opts.put(a, List.of());
      } else if (a.startsWith("--")) {
        throw new UsageError("unknown option " + a);
      } else {
        positional.add(a);
      }
    }
    return opts;
  }

  private static java.util.Optional<String> one(Map<String, List<String>> opts, String name) {
    List<String> values = opts.get(name);
    if (values == null) {
      return java.util.Optional.empty();
    }
    if (values.size() > 1) {
      throw new UsageError(name + " given more than once");
    }
    return java.util.Optional.of(values.get(0));
  }

  private static String[] keyValue(String text, String option) {
    int eq = text.indexOf('=');
    if (eq <= 0) {
      throw new UsageError(option + " takes KEY=VALUE, got '" + text + "'");
    }
    return new String[] {text.substring(0, eq), text.substring(eq + 1)};
  }

  private static String need(Deque<String> args, String what) {
    if (args.isEmpty()) {
      throw new UsageError("missing " + what);
    }
    return args.pollFirst();
  }

  private static void noMore(Deque<String> args) {
    if (!args.isEmpty()) {
      throw new UsageError("unexpected argument '" + args.peekFirst() + "'");
    }
  }

  /** A wrong command line. */
  private static final class UsageError extends RuntimeException {
    private static final long serialVersionUID = 1L;

    UsageError(String message) {
      super(message);
    }
  }
}
