package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.VersionSelector.Kind;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;
import org.junit.jupiter.params.provider.ValueSource;

class VersionSelectorTest {

  @ParameterizedTest(name = "\"{0}\" -> {1} \"{2}\"")
  @CsvSource(delimiter = '|', value = {
      "latest          | LATEST        | ''",
      "latest-stable   | LATEST_STABLE | ''",
      "1.2.3           | EXACT         | 1.2.3",
      "1.0.0-rc.1      | EXACT         | 1.0.0-rc.1",
      "0.0.1+build.5   | EXACT         | 0.0.1+build.5",
      "^1.2            | RANGE         | ^1.2",
      "~1.2.3          | RANGE         | ~1.2.3",
      ">=1.0.0 <2.0.0  | RANGE         | >=1.0.0 <2.0.0",
      "<2              | RANGE         | <2",
      "=1.2.3          | RANGE         | =1.2.3",
      "1.2.3 - 2.0.0   | RANGE         | 1.2.3 - 2.0.0",
      "production      | ALIAS         | production",
      "canary-2        | ALIAS         | canary-2",
      "v1.2.3          | ALIAS         | v1.2.3",
      "Latest          | ALIAS         | Latest",
  })
  @DisplayName("parse recognises each form")
  void parse(String text, Kind kind, String value) {
    VersionSelector s = VersionSelector.parse(text);
    assertThat(s.kind()).isEqualTo(kind);
    assertThat(s.value()).isEqualTo(value);
    assertThat(s).isEqualTo(new VersionSelector(kind, value));
  }

  @Test
  @DisplayName("parse strips surrounding whitespace before deciding")
  void parseStrips() {
    assertThat(VersionSelector.parse("  latest\t")).isEqualTo(VersionSelector.latest());
    assertThat(VersionSelector.parse(" 1.2.3 ")).isEqualTo(VersionSelector.exact("1.2.3"));
    assertThat(VersionSelector.parse("\n production ")).isEqualTo(VersionSelector.alias("production"));
    assertThat(VersionSelector.parse(" >=1.0.0 <2.0.0 ")).isEqualTo(VersionSelector.range(">=1.0.0 <2.0.0"));
  }

  @ParameterizedTest
  @ValueSource(strings = {"", " ", "\t", " \n \u2003"})
  @DisplayName("parse rejects blank text")
  void parseRejectsBlank(String text) {
    assertThatThrownBy(() -> VersionSelector.parse(text))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("blank");
  }

  @Test
  void parseRejectsNull() {
    assertThatThrownBy(() -> VersionSelector.parse(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  @DisplayName("factories give the matching kinds and values")
  void factories() {
    assertThat(VersionSelector.exact("1.4.2")).isEqualTo(new VersionSelector(Kind.EXACT, "1.4.2"));
    assertThat(VersionSelector.alias("production")).isEqualTo(new VersionSelector(Kind.ALIAS, "production"));
    assertThat(VersionSelector.range("^1.2")).isEqualTo(new VersionSelector(Kind.RANGE, "^1.2"));
    assertThat(VersionSelector.latest()).isEqualTo(new VersionSelector(Kind.LATEST, ""));
    assertThat(VersionSelector.latestStable()).isEqualTo(new VersionSelector(Kind.LATEST_STABLE, ""));
  }

  @Test
  @DisplayName("exact, alias and range need a non-blank value, naming the kind; nulls are rejected")
  void valueValidation() {
    assertThatThrownBy(() -> VersionSelector.exact("")).isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("EXACT");
    assertThatThrownBy(() -> VersionSelector.alias("  ")).isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("ALIAS");
    assertThatThrownBy(() -> VersionSelector.range("\t")).isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("RANGE");
    assertThatThrownBy(() -> new VersionSelector(null, "1.0.0")).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> new VersionSelector(Kind.LATEST, null)).isInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> VersionSelector.exact(null)).isInstanceOf(NullPointerException.class);
  }

  @Test
  @DisplayName("only an exact selector stays put")
  void isMoving() {
    assertThat(VersionSelector.exact("1.2.3").isMoving()).isFalse();
    assertThat(VersionSelector.parse("1.0.0-rc.1").isMoving()).isFalse();
    assertThat(VersionSelector.alias("production").isMoving()).isTrue();
    assertThat(VersionSelector.latest().isMoving()).isTrue();
    assertThat(VersionSelector.latestStable().isMoving()).isTrue();
    assertThat(VersionSelector.range("^1.2").isMoving()).isTrue();
    for (Kind kind : Kind.values()) {
      assertThat(new VersionSelector(kind, "1.0.0").isMoving()).as("%s", kind).isEqualTo(kind != Kind.EXACT);
    }
  }

  @Test
  @DisplayName("toString gives the selector as written, marking aliases")
  void toStringFormat() {
    assertThat(VersionSelector.latest()).hasToString("latest");
    assertThat(VersionSelector.latestStable()).hasToString("latest-stable");
    assertThat(VersionSelector.exact("1.2.3")).hasToString("1.2.3");
    assertThat(VersionSelector.range("^1.2")).hasToString("^1.2");
    assertThat(VersionSelector.alias("production")).hasToString("alias production");
  }

  @Test
  @DisplayName("the latest, latest-stable, exact and range forms parse back from their toString")
  void toStringParsesBack() {
    for (VersionSelector s : new VersionSelector[] {VersionSelector.latest(), VersionSelector.latestStable(),
        VersionSelector.exact("2.0.0-beta.3"), VersionSelector.range(">=1.0.0 <2.0.0"), VersionSelector.range("~0.3")}) {
      assertThat(VersionSelector.parse(s.toString())).isEqualTo(s);
    }
  }
}
