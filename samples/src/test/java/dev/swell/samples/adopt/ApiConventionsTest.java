package dev.swell.samples.adopt;

import static org.assertj.core.api.Assertions.assertThat;

import com.tngtech.archunit.core.domain.JavaClasses;
import com.tngtech.archunit.core.importer.ClassFileImporter;
import com.tngtech.archunit.core.importer.ImportOption;
import dev.swell.registry.SemVer;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/**
 * The public API's conventions, checked on the library modules' compiled classes: configurations
 * are classes (a record's canonical constructor would freeze their shape), reached through
 * {@code builder()} and {@code defaults()} rather than a mix of names, and the registry takes its
 * arguments in one order, (model, version, alias).
 */
class ApiConventionsTest {

  static java.util.Set<Class<?>> publicTypes = new java.util.LinkedHashSet<>();

  @BeforeAll
  static void load() throws ClassNotFoundException {
    ImportOption mainOnly = location -> !location.contains("/test-classes/") && !location.contains("-tests.jar");
    JavaClasses swell = new ClassFileImporter().withImportOption(mainOnly)
        .importPackages("dev.swell.api", "dev.swell.core", "dev.swell.onnx", "dev.swell.registry", "dev.swell.abtest");
    for (var c : swell) {
      if (c.getModifiers().contains(com.tngtech.archunit.core.domain.JavaModifier.PUBLIC)
          && !c.getName().contains("Benchmark")) {
        publicTypes.add(Class.forName(c.getName(), false, ApiConventionsTest.class.getClassLoader()));
      }
    }
    assertThat(publicTypes).as("public types found").hasSizeGreaterThan(50);
  }

  @Test
  @DisplayName("configurations (…Policy, …Config) are classes, not records")
  void configsAreClasses() {
    List<String> records = publicTypes.stream()
        .filter(c -> c.getSimpleName().endsWith("Policy") || c.getSimpleName().endsWith("Config"))
        .filter(Class::isRecord).map(Class::getName).toList();
    assertThat(records).isEmpty();
  }

  @Test
  @DisplayName("one naming scheme for entry points: builder() and defaults(), never custom(), ofDefaults() or newBuilder()")
  void oneNamingScheme() {
    List<String> odd = new ArrayList<>();
    for (Class<?> c : publicTypes) {
      for (Method m : c.getDeclaredMethods()) {
        if (Modifier.isPublic(m.getModifiers()) && Modifier.isStatic(m.getModifiers())
            && List.of("custom", "ofDefaults", "newBuilder", "getDefaults").contains(m.getName())) {
          odd.add(c.getSimpleName() + "." + m.getName());
        }
      }
    }
    assertThat(odd).isEmpty();
  }

  @Test
  @DisplayName("the registry's methods take (model, version, alias): a version never comes after an alias")
  void registryArgumentOrder() {
    List<String> odd = new ArrayList<>();
    for (Class<?> c : publicTypes) {
      if (!c.getPackageName().startsWith("dev.swell.registry")) {
        continue;
      }
      for (Method m : c.getDeclaredMethods()) {
        if (!Modifier.isPublic(m.getModifiers())) {
          continue;
        }
        var names = m.getParameters();
        Class<?>[] types = m.getParameterTypes();
        int firstAliasLike = -1;
        for (int i = 1; i < types.length; i++) { // parameter 0 is the model
          boolean aliasLike = types[i] == String.class && (!names[i].isNamePresent()
              || names[i].getName().toLowerCase(java.util.Locale.ROOT).contains("alias"));
          if (aliasLike && firstAliasLike < 0 && types[0] == String.class) {
            firstAliasLike = i;
          }
          if (types[i] == SemVer.class && firstAliasLike >= 0 && firstAliasLike < i) {
            odd.add(c.getSimpleName() + "." + m.getName() + java.util.Arrays.toString(types));
          }
        }
      }
    }
    assertThat(odd).isEmpty();
  }
}
