package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VersionRangeTest {

  @ParameterizedTest(name = "{0} contains {1}: {2}")
  @CsvSource({
      "^1.2.3, 1.2.3, true", "^1.2.3, 1.9.9, true", "^1.2.3, 2.0.0, false", "^1.2.3, 1.2.2, false",
      "^1.2, 1.2.0, true", "^1.2, 1.99.0, true", "^1, 1.0.0, true", "^1, 2.0.0-rc.1, false",
      "^0.2.3, 0.2.9, true", "^0.2.3, 0.3.0, false", "^0.0.3, 0.0.3, true", "^0.0.3, 0.0.4, false",
      "^0.0, 0.0.9, true", "^0.0, 0.1.0, false", "^0, 0.9.0, true", "^0, 1.0.0, false",
      "~1.2.3, 1.2.9, true", "~1.2.3, 1.3.0, false", "~1.2, 1.2.0, true", "~1, 1.9.0, true", "~1, 2.0.0, false",
      ">=1.0.0 <2.0.0, 1.5.0, true", ">=1.0.0 <2.0.0, 2.0.0, false", ">= 1.0.0 < 2.0.0, 1.0.0, true",
      ">1.0.0, 1.0.0, false", "<=1.2.3, 1.2.3, true", "=1.2.3, 1.2.3, true", "1.2.3, 1.2.4, false",
      "1.2.3+build, 1.2.3, true",
      "1.x, 1.7.0, true", "1.x, 2.0.0, false", "1.2.*, 1.2.7, true", "1.2.*, 1.3.0, false", "*, 9.9.9, true",
      ">1.2, 1.2.9, false", ">1.2, 1.3.0, true", "<1.2, 1.1.9, true", "<1.2, 1.2.0, false", "<=1.2, 1.2.9, true",
      ">=1.2, 1.2.0, true",
      "^1.2 || ^3.0, 3.1.0, true", "^1.2 || ^3.0, 2.1.0, false",
      "^1.2 || ^2.0, 1.2.0, true", "^1.2 || ^2.0, 2.9.9, true", "^1.2 || ^2.0, 1.1.9, false", "^1.2 || ^2.0, 3.0.0, false",
      "x, 0.0.0, true", "X, 7.1.2, true", "1.2.x, 1.2.0, true", "1.2.x, 1.1.9, false", "1.*, 1.0.0, true", "1.*, 0.9.9, false",
      "'', 4.5.6, true", "*, 1.0.0-rc.1, false",
      // ^* and ~* mean * (npm)
      "^*, 0.0.1, true", "^*, 5.0.0, true", "~*, 5.0.0, true", "~x, 0.1.0, true", "~>1.2.3, 1.2.9, true",
      // a number at the top of long has nothing above it, so no upper bound
      "^9223372036854775807, 9223372036854775807.5.0, true", "~1.9223372036854775807, 1.9223372036854775807.3, true",
      "~1.9223372036854775807, 2.0.0, false", ">9223372036854775807.x, 9223372036854775807.1.0, false",
      // pre-releases only on the same release line as a comparator's pre-release
      "^1.2.3-beta.2, 1.2.3-beta.4, true", "^1.2.3-beta.2, 1.2.4-beta.1, false", "^1.2.0, 1.3.0-beta, false",
      ">=1.0.0-rc.1 <2.0.0, 1.0.0-rc.2, true", ">=1.0.0-rc.1 <2.0.0, 1.5.0-rc.2, false"})
  void contains(String range, String version, boolean expected) {
    assertThat(VersionRange.parse(range).contains(SemVer.parse(version))).isEqualTo(expected);
  }

  @Test
  @DisplayName("includePreRelease admits any pre-release within the bounds")
  void includePreRelease() {
    assertThat(VersionRange.parse("^1.2.0").contains(SemVer.parse("1.3.0-beta"), true)).isTrue();
    assertThat(VersionRange.parse("^1.2.0").contains(SemVer.parse("2.0.0-beta"), true)).isFalse();
  }

  @Test
  @DisplayName("highest picks the highest contained version")
  void highest() {
    List<SemVer> vs = List.of("1.0.0", "1.2.0", "1.10.0", "2.0.0", "2.1.0-rc.1").stream().map(SemVer::parse).toList();
    assertThat(VersionRange.parse("^1").highest(vs)).contains(SemVer.parse("1.10.0"));
    assertThat(VersionRange.parse("*").highest(vs)).contains(SemVer.parse("2.0.0"));
    assertThat(VersionRange.parse("^3").highest(vs)).isEmpty();
    assertThat(VersionRange.parse("^2.0").highest(vs)).contains(SemVer.parse("2.0.0"));
    assertThat(VersionRange.parse(">=2.1.0-rc.0").highest(vs)).contains(SemVer.parse("2.1.0-rc.1"));
    assertThat(VersionRange.parse("^1.2").highest(List.of())).isEmpty();
    assertThat(VersionRange.parse("~1.2").toString()).isEqualTo("~1.2");
  }

  @ParameterizedTest
  @ValueSource(strings = {"^", ">=", "^1.2.3.4", "~a", "1.x.3", ">=01.0.0", "^1.2 ||", "^1.2-beta", "1..2",
      "|| 1.0.0", "\u0661.x", "^1.\u0662.3", "99999999999999999999.x", "1.2.3 - 2.0.0", "=>1.0.0", "v1.2.3", ">=1.0.0-"})
  void invalid(String text) {
    assertThatThrownBy(() -> VersionRange.parse(text)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("range '" + text + "'");
  }

  @Test
  @DisplayName("messages say what is wrong")
  void messages() {
    assertThatThrownBy(() -> VersionRange.parse("99999999999999999999.x"))
        .hasMessageContaining("larger than 9223372036854775807");
    assertThatThrownBy(() -> VersionRange.parse("^1.2 ||")).hasMessageContaining("empty alternative");
    assertThatThrownBy(() -> VersionRange.parse("1.x.3")).hasMessageContaining("number after a wildcard");
    assertThatThrownBy(() -> VersionRange.parse(">=")).hasMessageContaining("operator '>=' has no version");
  }
}
