package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

/** The examples of the semver.org 2.0.0 specification, and our bump rules. */
class SemVerTest {

  @Test
  @DisplayName("spec 11: 1.0.0-alpha < 1.0.0-alpha.1 < 1.0.0-alpha.beta < 1.0.0-beta < 1.0.0-beta.2 < 1.0.0-beta.11 < 1.0.0-rc.1 < 1.0.0")
  void preReleasePrecedenceChain() {
    List<String> chain = List.of("1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta", "1.0.0-beta",
        "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0");
    for (int i = 0; i + 1 < chain.size(); i++) {
      assertThat(SemVer.parse(chain.get(i))).as(chain.get(i) + " < " + chain.get(i + 1))
          .isLessThan(SemVer.parse(chain.get(i + 1)));
    }
    List<SemVer> shuffled = new ArrayList<>(chain.stream().map(SemVer::parse).toList());
    Collections.shuffle(shuffled, new Random(7));
    shuffled.sort(null);
    assertThat(shuffled).extracting(SemVer::toString).containsExactlyElementsOf(chain);
  }

  @Test
  @DisplayName("spec 11: 1.0.0 < 2.0.0 < 2.1.0 < 2.1.1, numbers compared numerically")
  void normalPrecedence() {
    assertThat(SemVer.parse("1.0.0")).isLessThan(SemVer.parse("2.0.0"));
    assertThat(SemVer.parse("2.0.0")).isLessThan(SemVer.parse("2.1.0"));
    assertThat(SemVer.parse("2.1.0")).isLessThan(SemVer.parse("2.1.1"));
    assertThat(SemVer.parse("1.9.0")).isLessThan(SemVer.parse("1.10.0"));
    assertThat(SemVer.parse("1.0.0-2")).isLessThan(SemVer.parse("1.0.0-10"));
    assertThat(SemVer.parse("1.0.0-99999999999999999999999")).isGreaterThan(SemVer.parse("1.0.0-99999999999999999999998"));
    assertThat(SemVer.parse("1.0.0-1")).isLessThan(SemVer.parse("1.0.0-a")); // numeric below alphanumeric
  }

  @ParameterizedTest
  @ValueSource(strings = {"1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-0.3.7", "1.0.0-x.7.z.92", "1.0.0-x-y-z.--",
      "1.0.0-alpha+001", "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0+21AF26D3----117B344092BD",
      "0.0.0", "9223372036854775807.0.0"})
  @DisplayName("spec 9 and 10: valid pre-release and build metadata round-trip")
  void validExamples(String text) {
    assertThat(SemVer.parse(text)).hasToString(text);
  }

  @Test
  @DisplayName("spec 10: build metadata is ignored in precedence but not in equality")
  void buildMetadata() {
    SemVer a = SemVer.parse("1.0.0+001");
    SemVer b = SemVer.parse("1.0.0+002");
    assertThat(a.compareTo(b)).isZero();
    assertThat(a.precedenceEquals(b)).isTrue();
    assertThat(a).isNotEqualTo(b);
    assertThat(SemVer.TOTAL_ORDER.compare(a, b)).isNegative();
    assertThat(SemVer.TOTAL_ORDER.compare(SemVer.parse("1.0.0"), a)).isNegative();
    assertThat(a.build()).containsExactly("001");
  }

  @ParameterizedTest
  @CsvSource(delimiter = '|', value = {
      "1|expected MAJOR.MINOR.PATCH",
      "1.2|expected MAJOR.MINOR.PATCH",
      "1.2.3.4|expected MAJOR.MINOR.PATCH",
      "01.2.3|major has a leading zero",
      "1.02.3|minor has a leading zero",
      "1.2.03|patch has a leading zero",
      "1.2.3-01|leading zero",
      "1.2.3-|pre-release is empty",
      "1.2.3+|build metadata is empty",
      "1.2.3-a..b|empty identifier",
      "v1.2.3|is not a number",
      "1.2.3-ä|character other than",
      "99999999999999999999.0.0|larger than",
      "-1.2.3|expected MAJOR.MINOR.PATCH",
      "1.2.x|is not a number"})
  @DisplayName("invalid versions are refused with the reason")
  void invalid(String text, String reason) {
    assertThatThrownBy(() -> SemVer.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'" + text + "' is not a semantic version").hasMessageContaining(reason);
  }

  @Test
  @DisplayName("surrounding white space is refused, not trimmed")
  void whiteSpace() {
    assertThatThrownBy(() -> SemVer.parse(" 1.2.3")).isInstanceOf(IllegalArgumentException.class)
        .hasMessage("' 1.2.3' is not a semantic version: major ' 1' is not a number");
    assertThatThrownBy(() -> SemVer.parse("1.2.3 ")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'1.2.3 ' is not a semantic version");
  }

  @Test
  @DisplayName("of and withPreRelease check their arguments")
  void factories() {
    assertThat(SemVer.of(1, 2, 3)).isEqualTo(SemVer.parse("1.2.3"));
    assertThat(SemVer.parse("1.2.3+b").withPreRelease("rc.1")).hasToString("1.2.3-rc.1");
    assertThatThrownBy(() -> SemVer.of(1, -1, 0)).isInstanceOf(IllegalArgumentException.class);
    assertThatThrownBy(() -> SemVer.of(1, 2, 3).withPreRelease(null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> SemVer.of(1, 2, 3).withPreRelease("rc+b")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("build metadata");
    assertThatThrownBy(() -> SemVer.of(1, 2, 3).withPreRelease("01")).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("leading zero");
    assertThatThrownBy(() -> SemVer.parse(Long.MAX_VALUE + ".0.0").bumpMajor()).isInstanceOf(ArithmeticException.class);
    assertThatThrownBy(() -> SemVer.parse("1.0.0").preRelease().add("x")).isInstanceOf(UnsupportedOperationException.class);
  }

  @ParameterizedTest
  @CsvSource({
      "1.2.3, 2.0.0, 1.3.0, 1.2.4",
      "1.2.3-rc.1, 2.0.0, 1.3.0, 1.2.3",
      "1.3.0-rc, 2.0.0, 1.3.0, 1.3.0",
      "2.0.0-alpha, 2.0.0, 2.0.0, 2.0.0",
      "0.0.0, 1.0.0, 0.1.0, 0.0.1",
      "1.2.3+build, 2.0.0, 1.3.0, 1.2.4"})
  @DisplayName("bumps follow npm's semver.inc")
  void bumps(String from, String major, String minor, String patch) {
    SemVer v = SemVer.parse(from);
    assertThat(v.bumpMajor()).hasToString(major);
    assertThat(v.bumpMinor()).hasToString(minor);
    assertThat(v.bumpPatch()).hasToString(patch);
    assertThat(v.withPreRelease("rc.2")).hasToString(v.major() + "." + v.minor() + "." + v.patch() + "-rc.2");
  }
}
