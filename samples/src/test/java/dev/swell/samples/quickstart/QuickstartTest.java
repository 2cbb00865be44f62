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
  @DisplayName("the quickstart embeds real sentences: paraphrases are close, unrelated ones far")
  void quickstartEndToEnd() {
    ByteArrayOutputStream buf = new ByteArrayOutputStream();
    double[][] sim = Quickstart.run(new PrintStream(buf, true, StandardCharsets.UTF_8));
    String printed = buf.toString(StandardCharsets.UTF_8);
    assertThat(printed).contains("Published minilm 1.0.0").contains("promoted it to production")
        .contains("Loaded minilm 1.0.0").contains("Embedded 4 sentences into 384 dimensions")
        .contains("Cosine similarity");
    for (int i = 0; i < 4; i++) {
      assertThat(sim[i][i]).isCloseTo(1.0, org.assertj.core.data.Offset.offset(1e-4));
    }
    // cat/kitten and markets/shares are paraphrase pairs
    assertThat(sim[0][1]).isGreaterThan(sim[0][2] + 0.3).isGreaterThan(sim[0][3] + 0.3);
    assertThat(sim[2][3]).isGreaterThan(sim[2][0] + 0.3).isGreaterThan(sim[2][1] + 0.3);
  }
}
