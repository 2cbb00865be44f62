package dev.swell.samples.adopt;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.module.ModuleDescriptor;
import java.lang.module.ModuleFinder;
import java.lang.module.ModuleReference;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Collectors;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The library jars' module descriptors against the README's table of modules: the same names, the
 * same exported packages (none qualified, none beyond the table), the same services.
 */
class ModuleDescriptorsTest {

  private static final Path ROOT = Path.of("").toAbsolutePath().getParent();
  private static final String VERSION = System.getProperty("swell.version", "0.1.0-SNAPSHOT");
  private static final Map<String, String> JARS = Map.of("dev.swell.api", "swell-api", "dev.swell.core", "swell-core",
      "dev.swell.onnx", "swell-onnx", "dev.swell.registry", "swell-registry", "dev.swell.abtest", "swell-abtest");

  record Row(String module, Set<String> exports, String services) {}

  @Test
  @DisplayName("each library jar is the named module the README lists, exporting exactly the packages it lists")
  void descriptorsMatchTheReadme() throws IOException {
    List<Row> rows = readmeTable();
    assertThat(rows).extracting(Row::module).containsExactlyInAnyOrderElementsOf(JARS.keySet());
    for (Row row : rows) {
      Path jar = ROOT.resolve(JARS.get(row.module())).resolve("target")
          .resolve(JARS.get(row.module()) + "-" + VERSION + ".jar");
      assertThat(jar).as("built before the samples").exists();
      ModuleReference ref = ModuleFinder.of(jar).findAll().iterator().next();
      ModuleDescriptor d = ref.descriptor();
      assertThat(d.isAutomatic()).as(jar + " has a module-info").isFalse();
      assertThat(d.name()).isEqualTo(row.module());
      assertThat(d.exports()).as(row.module() + " exports nothing qualified").noneMatch(ModuleDescriptor.Exports::isQualified);
      Set<String> exported = d.exports().stream().map(ModuleDescriptor.Exports::source)
          .collect(Collectors.toCollection(TreeSet::new));
      assertThat(exported).as(row.module() + " exports").isEqualTo(new TreeSet<>(row.exports()));
      assertThat(d.isOpen()).as(row.module() + " is not open").isFalse();
      assertThat(d.opens()).as(row.module() + " opens nothing").isEmpty();
      Set<String> uses = d.uses();
      Set<String> provides = d.provides().stream().map(ModuleDescriptor.Provides::service).collect(Collectors.toSet());
      String backend = "dev.swell.api.spi.BackendProvider";
      assertThat(uses.contains(backend)).as(row.module() + " uses BackendProvider").isEqualTo(row.services().contains("uses `BackendProvider`"));
      assertThat(provides.contains(backend)).as(row.module() + " provides BackendProvider")
          .isEqualTo(row.services().contains("provides `BackendProvider`"));
      assertThat(d.packages()).as(row.module() + "'s packages include what it exports").containsAll(row.exports());
    }
  }

  @Test
  @DisplayName("the internals the README names are not public, so neither path can reach them")
  void internalsArePackagePrivate() throws Exception {
    for (String name : List.of("dev.swell.core.DynamicBatcher", "dev.swell.core.TensorBatching",
        "dev.swell.core.ResultCache", "dev.swell.core.drift.DriftStatistics", "dev.swell.onnx.OnnxNativeStats")) {
      Class<?> c = Class.forName(name, false, getClass().getClassLoader());
      assertThat(java.lang.reflect.Modifier.isPublic(c.getModifiers())).as(name + " is public").isFalse();
    }
  }

  /** The rows of the README's table under "Module | Exports | Services". */
  private static List<Row> readmeTable() throws IOException {
    String readme = Files.readString(ROOT.resolve("README.md"), StandardCharsets.UTF_8);
    int start = readme.indexOf("| Module | Exports | Services |");
    assertThat(start).as("README's module table").isNotNegative();
    List<Row> rows = new ArrayList<>();
    Pattern code = Pattern.compile("`([^`]+)`");
    for (String line : readme.substring(start).lines().skip(2).takeWhile(l -> l.startsWith("|")).toList()) {
      String[] cells = line.split("\\|");
      Matcher m = code.matcher(cells[1]);
      assertThat(m.find()).as(line).isTrue();
      String module = m.group(1);
      Set<String> exports = new TreeSet<>();
      Matcher e = code.matcher(cells[2]);
      while (e.find()) {
        exports.add(e.group(1));
      }
      rows.add(new Row(module, exports, cells[3]));
    }
    Map<String, Row> byName = new LinkedHashMap<>();
    rows.forEach(r -> byName.put(r.module(), r));
    assertThat(byName).as("one row per module").hasSameSizeAs(rows);
    return rows;
  }
}
