package dev.swell.samples.quickstart;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.text.Normalizer;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * A BERT uncased WordPiece tokenizer read from a Hugging Face {@code tokenizer.json}: lower-cases,
 * strips accents, splits on whitespace and punctuation, then splits words greedily into the
 * longest vocabulary pieces ({@code ##} marks a continuation). Enough for all-MiniLM-L6-v2.
 */
public final class BertTokenizer {

  private static final String UNK = "[UNK]";
  private static final int MAX_WORD_CHARS = 100;

  private final Map<String, Integer> vocab;
  private final int cls;
  private final int sep;
  private final int unk;

  private BertTokenizer(Map<String, Integer> vocab) {
    this.vocab = vocab;
    this.cls = vocab.get("[CLS]");
    this.sep = vocab.get("[SEP]");
    this.unk = vocab.get(UNK);
  }

  /**
   * Reads the vocabulary of a {@code tokenizer.json}.
   *
   * @param json the file's content
   * @return the tokenizer
   */
  public static BertTokenizer fromJson(InputStream json) {
    try {
      JsonNode vocabNode = new ObjectMapper().readTree(json).path("model").path("vocab");
      Map<String, Integer> vocab = new HashMap<>();
      for (Map.Entry<String, JsonNode> e : vocabNode.properties()) {
        vocab.put(e.getKey(), e.getValue().asInt());
      }
      if (!vocab.containsKey("[CLS]") || !vocab.containsKey("[SEP]") || !vocab.containsKey(UNK)) {
        throw new IllegalArgumentException("tokenizer.json has no WordPiece vocabulary with [CLS], [SEP], [UNK]");
      }
      return new BertTokenizer(vocab);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /**
   * Encodes a text as {@code [CLS] pieces... [SEP]}, truncated to {@code maxLength} ids.
   *
   * @param text the text
   * @param maxLength the most ids to return, at least 2
   * @return the token ids
   */
  public long[] encode(String text, int maxLength) {
    List<Integer> ids = new ArrayList<>();
    ids.add(cls);
    for (String word : basicTokens(text)) {
      wordPiece(word, ids);
    }
    if (ids.size() > maxLength - 1) {
      ids = ids.subList(0, maxLength - 1);
    }
    ids.add(sep);
    return ids.stream().mapToLong(Integer::longValue).toArray();
  }

  /** Splits normalized text into words and single punctuation marks. */
  static List<String> basicTokens(String text) {
    String lower = text.toLowerCase(Locale.ROOT);
    String stripped = Normalizer.normalize(lower, Normalizer.Form.NFD).replaceAll("\\p{Mn}", "");
    List<String> words = new ArrayList<>();
    StringBuilder current = new StringBuilder();
    for (int i = 0; i < stripped.length(); ) {
      int cp = stripped.codePointAt(i);
      i += Character.charCount(cp);
      if (cp == 0 || cp == 0xfffd || (Character.isISOControl(cp) && !Character.isWhitespace(cp))) {
        continue;
      }
      if (Character.isWhitespace(cp) || Character.isSpaceChar(cp)) {
        flush(current, words);
      } else if (isPunctuation(cp) || isCjk(cp)) {
        flush(current, words);
        words.add(new String(Character.toChars(cp)));
      } else {
        current.appendCodePoint(cp);
      }
    }
    flush(current, words);
    return words;
  }

  private void wordPiece(String word, List<Integer> out) {
    if (word.codePointCount(0, word.length()) > MAX_WORD_CHARS) {
      out.add(unk);
      return;
    }
    List<Integer> pieces = new ArrayList<>();
    int start = 0;
    while (start < word.length()) {
      int end = word.length();
      Integer found = null;
      while (start < end) {
        String piece = (start > 0 ? "##" : "") + word.substring(start, end);
        found = vocab.get(piece);
        if (found != null) {
          break;
        }
        end--;
      }
      if (found == null) {
        out.add(unk);
        return;
      }
      pieces.add(found);
      start = end;
    }
    out.addAll(pieces);
  }

  private static void flush(StringBuilder current, List<String> words) {
    if (current.length() > 0) {
      words.add(current.toString());
      current.setLength(0);
    }
  }

  private static boolean isPunctuation(int cp) {
    if ((cp >= 33 && cp <= 47) || (cp >= 58 && cp <= 64) || (cp >= 91 && cp <= 96)
        || (cp >= 123 && cp <= 126)) {
      return true;
    }
    int type = Character.getType(cp);
    return type == Character.CONNECTOR_PUNCTUATION || type == Character.DASH_PUNCTUATION
        || type == Character.START_PUNCTUATION || type == Character.END_PUNCTUATION
        || type == Character.INITIAL_QUOTE_PUNCTUATION || type == Character.FINAL_QUOTE_PUNCTUATION
        || type == Character.OTHER_PUNCTUATION;
  }

  private static boolean isCjk(int cp) {
    return (cp >= 0x4E00 && cp <= 0x9FFF) || (cp >= 0x3400 && cp <= 0x4DBF)
        || (cp >= 0x20000 && cp <= 0x2A6DF) || (cp >= 0xF900 && cp <= 0xFAFF);
  }
}
