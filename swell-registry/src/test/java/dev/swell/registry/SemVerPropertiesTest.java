package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;

import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;

/**
 * Sorting by precedence is a total preorder that agrees with an independent reading of the spec,
 * and TOTAL_ORDER is a total order consistent with equals.
 */
class SemVerPropertiesTest {

  @Provide
  Arbitrary<SemVer> versions() {
    Arbitrary<Long> small = Arbitraries.longs().between(0, 3);
    Arbitrary<String> numeric = Arbitraries.oneOf(Arbitraries.of("0", "1", "2", "10", "11", "99999999999999999999"),
        Arbitraries.integers().between(0, 20).map(String::valueOf));
    Arbitrary<String> randomChars = Arbitraries.strings().withCharRange('0', '9').withCharRange('A', 'Z')
        .withCharRange('a', 'z').withChars('-').ofMinLength(1).ofMaxLength(4);
    Arbitrary<String> alpha = Arbitraries.oneOf(
        Arbitraries.of("a", "alpha", "beta", "rc", "A", "-", "x-y", "0a", "beta2"),
        randomChars.filter(s -> !s.matches("[0-9]+")));
    Arbitrary<String> id = Arbitraries.oneOf(numeric, alpha);
    Arbitrary<List<String>> pre = id.list().ofMaxSize(3);
    Arbitrary<List<String>> build = Arbitraries.oneOf(Arbitraries.of("001", "b", "sha.5114f85", "z"), randomChars)
        .list().ofMaxSize(2);
    return Combinators.combine(small, small, small, pre, build).as((ma, mi, pa, p, b) -> {
      String text = ma + "." + mi + "." + pa + (p.isEmpty() ? "" : "-" + String.join(".", p))
          + (b.isEmpty() ? "" : "+" + String.join(".", b));
      return SemVer.parse(text);
    });
  }

  /** The spec read independently: compare field by field with plain string logic. */
  static int reference(String a, String b) {
    String[] x = a.split("\\+")[0].split("-", 2);
    String[] y = b.split("\\+")[0].split("-", 2);
    String[] xn = x[0].split("\\.");
    String[] yn = y[0].split("\\.");
    for (int i = 0; i < 3; i++) {
      int c = new BigInteger(xn[i]).compareTo(new BigInteger(yn[i]));
      if (c != 0) {
        return c;
      }
    }
    if (x.length == 1 || y.length == 1) {
      return Integer.compare(y.length, x.length); // the one without pre-release is higher
    }
    String[] xp = x[1].split("\\.");
    String[] yp = y[1].split("\\.");
    for (int i = 0; i < Math.max(xp.length, yp.length); i++) {
      if (i >= xp.length) {
        return -1;
      }
      if (i >= yp.length) {
        return 1;
      }
      boolean xNum = xp[i].matches("[0-9]+");
      boolean yNum = yp[i].matches("[0-9]+");
      int c = xNum && yNum ? new BigInteger(xp[i]).compareTo(new BigInteger(yp[i]))
          : xNum ? -1 : yNum ? 1 : xp[i].compareTo(yp[i]);
      if (c != 0) {
        return c;
      }
    }
    return 0;
  }

  @Property(tries = 2000)
  void precedenceMatchesTheSpecAndIsAntisymmetric(@ForAll("versions") SemVer a, @ForAll("versions") SemVer b) {
    int c = Integer.signum(a.compareTo(b));
    assertThat(c).isEqualTo(Integer.signum(reference(a.toString(), b.toString())));
    assertThat(Integer.signum(b.compareTo(a))).isEqualTo(-c);
    assertThat(a.precedenceEquals(b)).isEqualTo(c == 0);
    assertThat(SemVer.TOTAL_ORDER.compare(a, b) == 0).isEqualTo(a.equals(b));
    if (a.equals(b)) {
      assertThat(a.hashCode()).isEqualTo(b.hashCode());
    }
  }

  @Property(tries = 1000)
  void transitive(@ForAll("versions") SemVer a, @ForAll("versions") SemVer b, @ForAll("versions") SemVer c) {
    if (a.compareTo(b) <= 0 && b.compareTo(c) <= 0) {
      assertThat(a.compareTo(c)).isLessThanOrEqualTo(0);
    }
    if (SemVer.TOTAL_ORDER.compare(a, b) < 0 && SemVer.TOTAL_ORDER.compare(b, c) < 0) {
      assertThat(SemVer.TOTAL_ORDER.compare(a, c)).isNegative();
    }
  }

  @Property(tries = 500)
  void parseOfToStringIsIdentity(@ForAll("versions") SemVer v) {
    assertThat(SemVer.parse(v.toString())).isEqualTo(v);
  }

  @Property(tries = 200)
  void sortingIsDeterministicWhateverTheShuffle(@ForAll("lists") List<SemVer> list, @ForAll long seed) {
    List<SemVer> a = new ArrayList<>(list);
    List<SemVer> b = new ArrayList<>(list);
    Collections.shuffle(a, new Random(seed));
    Collections.shuffle(b, new Random(seed + 1));
    a.sort(SemVer.TOTAL_ORDER);
    b.sort(SemVer.TOTAL_ORDER);
    assertThat(a).isEqualTo(b);
    for (int i = 0; i + 1 < a.size(); i++) {
      assertThat(reference(a.get(i).toString(), a.get(i + 1).toString())).isLessThanOrEqualTo(0);
    }
  }

  @Provide
  Arbitrary<List<SemVer>> lists() {
    return versions().list().ofMaxSize(30);
  }
}
