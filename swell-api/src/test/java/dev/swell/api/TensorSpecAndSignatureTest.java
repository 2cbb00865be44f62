package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TensorSpecAndSignatureTest {

  @Nested
  @DisplayName("TensorSpec")
  class Spec {

    @Test
    @DisplayName("any negative dimension is stored as DYNAMIC; others are kept")
    void negativeDimsBecomeDynamic() {
      TensorSpec s = TensorSpec.of("x", DType.INT64, -1, -7, Long.MIN_VALUE, 0, 128);
      assertThat(s.shape()).containsExactly(TensorSpec.DYNAMIC, TensorSpec.DYNAMIC, TensorSpec.DYNAMIC, 0, 128);
      assertThat(TensorSpec.DYNAMIC).isEqualTo(-1);
      assertThat(s.isDynamic(0)).isTrue();
      assertThat(s.isDynamic(1)).isTrue();
      assertThat(s.isDynamic(2)).isTrue();
      assertThat(s.isDynamic(3)).isFalse();
      assertThat(s.isDynamic(4)).isFalse();
      assertThat(s.dim(1)).isEqualTo(TensorSpec.DYNAMIC);
      assertThat(s.dim(4)).isEqualTo(128);
      assertThat(s.rank()).isEqualTo(5);
      assertThat(s.name()).isEqualTo("x");
      assertThat(s.dtype()).isEqualTo(DType.INT64);
    }

    @Test
    @DisplayName("the shape is copied in and out")
    void shapeIsCopied() {
      long[] dims = {2, 3};
      TensorSpec s = TensorSpec.of("x", DType.FLOAT32, dims);
      dims[0] = 9;
      s.shape()[1] = 9;
      assertThat(s.shape()).containsExactly(2, 3);
    }

    @Test
    @DisplayName("accepts needs the same rank and equal fixed dimensions; dynamic ones take any size")
    void accepts() {
      TensorSpec s = TensorSpec.of("x", DType.FLOAT32, -1, 16);
      assertThat(s.accepts(new long[] {1, 16})).isTrue();
      assertThat(s.accepts(new long[] {0, 16})).isTrue();
      assertThat(s.accepts(new long[] {1_000_000, 16})).isTrue();
      assertThat(s.accepts(new long[] {1, 15})).as("fixed dimension differs").isFalse();
      assertThat(s.accepts(new long[] {1, 16, 1})).as("higher rank").isFalse();
      assertThat(s.accepts(new long[] {16})).as("lower rank").isFalse();
      assertThat(s.accepts(new long[0])).isFalse();

      TensorSpec fixed = TensorSpec.of("f", DType.INT8, 2, 3);
      assertThat(fixed.accepts(new long[] {2, 3})).isTrue();
      assertThat(fixed.accepts(new long[] {3, 2})).isFalse();

      TensorSpec scalar = TensorSpec.of("s", DType.INT64);
      assertThat(scalar.accepts(new long[0])).isTrue();
      assertThat(scalar.accepts(new long[] {1})).isFalse();

      TensorSpec allDynamic = TensorSpec.of("d", DType.BOOL, -1, -1, -1);
      assertThat(allDynamic.accepts(new long[] {0, 5, 9})).isTrue();
      assertThat(allDynamic.accepts(new long[] {0, 5})).isFalse();

      TensorSpec zero = TensorSpec.of("z", DType.BOOL, 0);
      assertThat(zero.accepts(new long[] {0})).isTrue();
      assertThat(zero.accepts(new long[] {1})).isFalse();
    }

    @Test
    @DisplayName("an empty name is rejected; nulls give NullPointerException")
    void validation() {
      assertThatThrownBy(() -> TensorSpec.of("", DType.FLOAT32, 1))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("empty");
      assertThatThrownBy(() -> TensorSpec.of(null, DType.FLOAT32, 1)).isExactlyInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> TensorSpec.of("x", null, 1)).isExactlyInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> TensorSpec.of("x", DType.FLOAT32, (long[]) null)).isExactlyInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("equal name, dtype and shape are equal; any negative dimension counts as the same DYNAMIC")
    void equality() {
      TensorSpec s = TensorSpec.of("x", DType.FLOAT32, -1, 4);
      assertThat(s).isEqualTo(TensorSpec.of("x", DType.FLOAT32, -5, 4));
      assertThat(s.hashCode()).isEqualTo(TensorSpec.of("x", DType.FLOAT32, -5, 4).hashCode());
      assertThat(s).isNotEqualTo(TensorSpec.of("y", DType.FLOAT32, -1, 4));
      assertThat(s).isNotEqualTo(TensorSpec.of("x", DType.FLOAT64, -1, 4));
      assertThat(s).isNotEqualTo(TensorSpec.of("x", DType.FLOAT32, 1, 4));
      assertThat(s).isNotEqualTo(TensorSpec.of("x", DType.FLOAT32, -1, 4, 1));
      assertThat(s).isNotEqualTo(null).isNotEqualTo("x: float32[?x4]");
    }

    @Test
    @DisplayName("toString is name: dtype[shape]")
    void toStringFormat() {
      assertThat(TensorSpec.of("input_ids", DType.INT64, -1, 128)).hasToString("input_ids: int64[?x128]");
      assertThat(TensorSpec.of("s", DType.FLOAT32)).hasToString("s: float32[scalar]");
      assertThat(TensorSpec.of("t", DType.STRING, 0)).hasToString("t: string[0]");
    }
  }

  @Nested
  @DisplayName("Signature")
  class Sig {

    private final TensorSpec x = TensorSpec.of("x", DType.FLOAT32, -1, 16);
    private final TensorSpec mask = TensorSpec.of("mask", DType.BOOL, -1, 16);
    private final TensorSpec y = TensorSpec.of("y", DType.FLOAT32, -1, 4);

    @Test
    @DisplayName("keeps inputs and outputs in order and finds them by name")
    void lookups() {
      Signature sig = Signature.of(List.of(x, mask), List.of(y));
      assertThat(sig.inputs()).containsExactly(x, mask);
      assertThat(sig.outputs()).containsExactly(y);
      assertThat(sig.input("x")).contains(x);
      assertThat(sig.input("mask")).contains(mask);
      assertThat(sig.input("y")).as("an output is not an input").isEmpty();
      assertThat(sig.output("y")).contains(y);
      assertThat(sig.output("x")).isEmpty();
      assertThat(sig.input("nope")).isEmpty();
    }

    @Test
    @DisplayName("a name repeated among inputs or among outputs is rejected, naming it")
    void duplicatesRejected() {
      TensorSpec x2 = TensorSpec.of("x", DType.INT32, 1);
      assertThatThrownBy(() -> Signature.of(List.of(x, x2), List.of(y)))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("input")
          .hasMessageContaining("'x'")
          .hasMessageContaining("twice");
      assertThatThrownBy(() -> Signature.of(List.of(x), List.of(y, y)))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("output")
          .hasMessageContaining("'y'");
    }

    @Test
    @DisplayName("the same name may be both an input and an output")
    void sameNameInAndOut() {
      TensorSpec stateOut = TensorSpec.of("x", DType.FLOAT32, -1, 16);
      Signature sig = Signature.of(List.of(x), List.of(stateOut));
      assertThat(sig.input("x")).contains(x);
      assertThat(sig.output("x")).contains(stateOut);
    }

    @Test
    @DisplayName("null lists and elements give NullPointerException")
    void nullsRejected() {
      assertThatThrownBy(() -> Signature.of(null, List.of())).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> Signature.of(List.of(), null)).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> Signature.of(Arrays.asList(x, null), List.of())).isInstanceOf(NullPointerException.class);
      assertThatThrownBy(() -> Signature.of(List.of(), Arrays.asList((TensorSpec) null))).isInstanceOf(NullPointerException.class);
    }

    @Test
    @DisplayName("the lists are copied and unmodifiable")
    void listsAreCopied() {
      List<TensorSpec> in = new ArrayList<>(List.of(x));
      List<TensorSpec> out = new ArrayList<>(List.of(y));
      Signature sig = Signature.of(in, out);
      in.add(mask);
      out.clear();
      assertThat(sig.inputs()).containsExactly(x);
      assertThat(sig.outputs()).containsExactly(y);
      assertThat(sig.input("mask")).isEmpty();
      assertThatThrownBy(() -> sig.inputs().add(mask)).isInstanceOf(UnsupportedOperationException.class);
      assertThatThrownBy(() -> sig.outputs().remove(0)).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    @DisplayName("equality is by inputs and outputs in order")
    void equality() {
      Signature sig = Signature.of(List.of(x, mask), List.of(y));
      assertThat(sig).isEqualTo(Signature.of(List.of(x, mask), List.of(y)));
      assertThat(sig.hashCode()).isEqualTo(Signature.of(List.of(x, mask), List.of(y)).hashCode());
      assertThat(sig).isNotEqualTo(Signature.of(List.of(mask, x), List.of(y)));
      assertThat(sig).isNotEqualTo(Signature.of(List.of(x, mask), List.of()));
      assertThat(Signature.of(List.of(x), List.of(y))).isNotEqualTo(Signature.of(List.of(y), List.of(x)));
    }

    @Test
    @DisplayName("toString is (inputs) -> (outputs)")
    void toStringFormat() {
      assertThat(Signature.of(List.of(x), List.of(y))).hasToString("(x: float32[?x16]) -> (y: float32[?x4])");
      assertThat(Signature.of(List.of(x, mask), List.of(y)))
          .hasToString("(x: float32[?x16], mask: bool[?x16]) -> (y: float32[?x4])");
      assertThat(Signature.of(List.of(), List.of())).hasToString("() -> ()");
    }
  }
}
