package dev.swell.samples.quickstart;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.ByteArrayOutputStream;
import java.io.InputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class QuickstartTest {

  private static BertTokenizer tokenizer;

  @BeforeAll
  static void readTokenizer() throws Exception {
    try (InputStream in = QuickstartTest.class.getClassLoader()
        .getResourceAsStream(Quickstart.TOKENIZER_RESOURCE)) {
      tokenizer = BertTokenizer.fromJson(in);
    }
  }

  @Test
  @DisplayName("the tokenizer gives BERT uncased ids: lower case, accents stripped, punctuation split")
  void tokenizer() {
    assertThat(tokenizer.encode("Hello, World!", 128)).containsExactly(101, 7592, 1010, 2088, 999, 102);
    assertThat(tokenizer.encode("Café naïve", 128)).containsExactly(101, 7668, 15743, 102);
    // greedy longest-first WordPiece
    assertThat(tokenizer.encode("unaffable", 128)).containsExactly(101, 14477, 20961, 3468, 102);
    assertThat(tokenizer.encode("hello world hello", 4)).containsExactly(101, 7592, 2088, 102);
    assertThat(tokenizer.encode("", 128)).containsExactly(101, 102);
  }

  @Test
  @DisplayName("the quickstart tells the rollout story on the real models: shadow, canary, decision, event log")
  void quickstartEndToEnd() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    Quickstart.Outcome o = Quickstart.run(new PrintStream(buf, true, StandardCharsets.UTF_8));
    String printed = buf.toString(StandardCharsets.UTF_8);
    System.out.println(printed);
    double[][] sim = o.similarity();
    // cat/kitten and markets/shares are paraphrase pairs
    assertThat(sim[0][1]).isGreaterThan(sim[0][2] + 0.3).isGreaterThan(sim[0][3] + 0.3);
    assertThat(sim[2][3]).isGreaterThan(sim[2][0] + 0.3).isGreaterThan(sim[2][1] + 0.3);
    assertThat(o.shadowAgreement()).as("the quantized model agrees with the full one").isBetween(0.9, 1.0);
    assertThat(printed).contains("1. Published minilm 1.0.0").contains("2. Published minilm 1.1.0")
        .contains("parent 1.0.0").contains("3. Shadow: 150 requests").contains("4. Canary")
        .contains("5. Decision").contains("registry event log");
    assertThat(o.decision()).as(printed).isIn(dev.swell.abtest.Decision.Kind.PROMOTE, dev.swell.abtest.Decision.Kind.ROLLBACK);
    assertThat(o.servingAfter()).isEqualTo(o.decision() == dev.swell.abtest.Decision.Kind.PROMOTE ? "1.1.0" : "1.0.0");
    assertThat(o.events()).anyMatch(e -> e.type() == dev.swell.registry.RegistryEvent.Type.EXPERIMENT
        && e.detail().contains(o.decision() == dev.swell.abtest.Decision.Kind.PROMOTE ? "promote" : "rollback"));
  }
}
