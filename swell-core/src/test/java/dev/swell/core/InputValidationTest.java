package dev.swell.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.DType;
import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.Signature;
import dev.swell.api.Tensor;
import dev.swell.api.TensorSpec;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Each kind of bad input gets a message naming the input, what came and what was expected. */
class InputValidationTest {

  private final InputValidator validator = new InputValidator("fraud", "1.2.0",
      Signature.of(List.of(TensorSpec.of("ids", DType.INT64, -1, 128), TensorSpec.of("mask", DType.INT64, -1, 128)),
          List.of(TensorSpec.of("out", DType.FLOAT32, -1, 2))), 1_000_000);

  private static Tensor ids(long rows) {
    return Tensor.of(new long[(int) rows * 128], rows, 128);
  }

  private InvalidInputException failure(NamedTensors in) {
    try {
      validator.validate(in);
    } catch (InvalidInputException e) {
      return e;
    }
    throw new AssertionError("expected an InvalidInputException for " + in);
  }

  @Test
  void validInputPasses() {
    validator.validate(NamedTensors.of("ids", ids(2), "mask", ids(2)));
  }

  @Test
  @DisplayName("wrong dtype")
  void wrongDtype() {
    InvalidInputException e = failure(NamedTensors.of("ids", Tensor.of(new int[128], 1, 128), "mask", ids(1)));
    assertThat(e.input()).isEqualTo("ids");
    assertThat(e.expected()).isEqualTo("dtype int64");
    assertThat(e.actual()).isEqualTo("dtype int32");
    assertThat(e.model()).isEqualTo("fraud");
    assertThat(e.version()).isEqualTo("1.2.0");
    assertThat(e).hasMessage("model 'fraud' 1.2.0: input 'ids': expected dtype int64, got dtype int32");
  }

  @Test
  @DisplayName("wrong rank")
  void wrongRank() {
    InvalidInputException e = failure(NamedTensors.of("ids", Tensor.of(new long[128], 128), "mask", ids(1)));
    assertThat(e).hasMessageContaining("input 'ids'").hasMessageContaining("rank 2 [?x128]")
        .hasMessageContaining("got rank 1 [128]");
  }

  @Test
  @DisplayName("a fixed dimension of the wrong size")
  void fixedDimension() {
    InvalidInputException e = failure(NamedTensors.of("ids", ids(1), "mask", Tensor.of(new long[64], 1, 64)));
    assertThat(e.input()).isEqualTo("mask");
    assertThat(e).hasMessageContaining("dimension 1 = 128").hasMessageContaining("dimension 1 = 64 [1x64]");
  }

  @Test
  @DisplayName("a missing input")
  void missingInput() {
    InvalidInputException e = failure(NamedTensors.of("ids", ids(1)));
    assertThat(e.input()).isEqualTo("mask");
    assertThat(e).hasMessageContaining("no tensor of that name").hasMessageContaining("[ids]");
  }

  @Test
  @DisplayName("an unknown input name")
  void unknownInput() {
    InvalidInputException e = failure(NamedTensors.builder().put("ids", ids(1)).put("mask", ids(1))
        .put("token_type_ids", ids(1)).build());
    assertThat(e.input()).isEqualTo("token_type_ids");
    assertThat(e).hasMessageContaining("unknown input name").hasMessageContaining("ids: int64[?x128]");
  }

  @Test
  @DisplayName("null inputs")
  void nullInputs() {
    InvalidInputException e = failure(null);
    assertThat(e.actual()).isEqualTo("null");
    assertThat(e.input()).isNull();
  }

  @Test
  @DisplayName("bug: a zero-row batch was refused, though it is a legal tensor a model may take; only joining needs rows")
  void emptyBatchIsLegal() {
    validator.validate(NamedTensors.of("ids", ids(0), "mask", ids(0)));
  }

  @Test
  @DisplayName("a tensor over the size limit")
  void tooLarge() {
    InvalidInputException e = failure(NamedTensors.of("ids", ids(10_000), "mask", ids(1)));
    assertThat(e).hasMessageContaining("at most 1000000 elements").hasMessageContaining("1280000 elements");
  }

  @Test
  @DisplayName("the exception is a SwellException carrying model and version")
  void hierarchy() {
    assertThatThrownBy(() -> validator.validate(NamedTensors.empty()))
        .isInstanceOf(dev.swell.api.SwellException.class);
  }

  @Test
  @org.junit.jupiter.api.DisplayName("requests over the byte limit and strings over the length limit are refused, naming the limit")
  void requestAndStringLimits() {
    InputValidator small = new InputValidator("fraud", "1.2.0",
        Signature.of(List.of(TensorSpec.of("ids", DType.INT64, -1, 128), TensorSpec.of("mask", DType.INT64, -1, 128)),
            List.of(TensorSpec.of("out", DType.FLOAT32, -1, 2))), new InputLimits(1_000_000, 3 * 1024, 10));
    small.validate(NamedTensors.of("ids", ids(1), "mask", ids(1))); // 2 KiB
    InvalidInputException e = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
        () -> small.validate(NamedTensors.of("ids", ids(2), "mask", ids(2))));
    org.assertj.core.api.Assertions.assertThat(e.getMessage()).contains("requests of at most 3072 bytes")
        .contains("at least 4096 bytes");
    InputValidator text = new InputValidator("nlp", "1.0.0",
        Signature.of(List.of(TensorSpec.of("text", DType.STRING, -1)), List.of(TensorSpec.of("y", DType.FLOAT32, -1))),
        new InputLimits(1_000, 1_000, 10));
    text.validate(NamedTensors.of("text", Tensor.of(new String[] {"short", "0123456789"}, 2)));
    InvalidInputException s = org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
        () -> text.validate(NamedTensors.of("text", Tensor.of(new String[] {"ok", "x".repeat(11)}, 2))));
    org.assertj.core.api.Assertions.assertThat(s.getMessage()).contains("strings of at most 10 characters")
        .contains("element 1 of 11 characters");
    // strings count two bytes a character against the request limit: 6 x 10 characters = 120 bytes
    InputValidator tight = new InputValidator("nlp", "1.0.0",
        Signature.of(List.of(TensorSpec.of("text", DType.STRING, -1)), List.of(TensorSpec.of("y", DType.FLOAT32, -1))),
        new InputLimits(1_000, 100, 10));
    String[] six = new String[6];
    java.util.Arrays.fill(six, "0123456789");
    org.assertj.core.api.Assertions.assertThat(org.junit.jupiter.api.Assertions.assertThrows(InvalidInputException.class,
        () -> tight.validate(NamedTensors.of("text", Tensor.of(six, 6)))).getMessage()).contains("at least 120 bytes");
  }
}
