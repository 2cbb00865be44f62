package dev.swell.samples.adopt;

import static com.tngtech.archunit.lang.syntax.ArchRuleDefinition.noClasses;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import com.tngtech.archunit.lang.ArchRule;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The dependency rules between Swell's library modules, checked on their compiled classes (the
 * samples see every module): the API depends on the JDK alone; the runtime never on a backend,
 * the registry or experiments; the ONNX backend and the registry never on the runtime.
 */
class ModuleRulesTest {

  static JavaClasses swell;

  @BeforeAll
  static void load() {
    // the library modules' main classes, whether the reactor hands them over as folders or jars;
    // not the test-jars (their test kits may use anything)
    ImportOption mainOnly = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");
    swell = new ClassFileImporter().withImportOption(mainOnly).importPackages("dev.swell");
    if (swell.stream().noneMatch(c -> c.getPackageName().startsWith("dev.swell.registry"))
        || swell.stream().noneMatch(c -> c.getPackageName().startsWith("dev.swell.core"))) {
      throw new AssertionError("the library modules' classes were not found: " + swell.size() + " classes");
    }
  }

  @Test
  @DisplayName("swell-api depends on the JDK only")
  void apiDependsOnNothing() {
    ArchRule rule = noClasses().that().resideInAPackage("dev.swell.api..").should().dependOnClassesThat()
        .resideOutsideOfPackages("dev.swell.api..", "java..");
    rule.check(swell);
  }

  @Test
  @DisplayName("swell-core never depends on swell-onnx, swell-registry or swell-abtest")
  void coreDependsOnNoBackendRegistryOrExperiments() {
    noClasses().that().resideInAPackage("dev.swell.core..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.swell.onnx..", "dev.swell.registry..", "dev.swell.abtest..").check(swell);
  }

  @Test
  @DisplayName("swell-onnx and swell-registry never depend on swell-core (nor on each other)")
  void backendAndRegistryStandAlone() {
    noClasses().that().resideInAPackage("dev.swell.onnx..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.swell.core..", "dev.swell.registry..", "dev.swell.abtest..").check(swell);
    noClasses().that().resideInAPackage("dev.swell.registry..").should().dependOnClassesThat()
        .resideInAnyPackage("dev.swell.core..", "dev.swell.onnx..", "dev.swell.abtest..").check(swell);
  }
}
