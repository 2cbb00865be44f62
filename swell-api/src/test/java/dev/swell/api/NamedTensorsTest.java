package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.HashMap;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

class NamedTensorsTest {

  private final Tensor a = Tensor.of(new float[] {1, 2}, 2);
  private final Tensor b = Tensor.of(new int[] {3}, 1);
  private final Tensor c = Tensor.of(new String[] {"c"}, 1);

  @Test
  @DisplayName("iteration, names, tensors and asMap follow insertion order")
  void orderIsPreserved() {
    NamedTensors nt = NamedTensors.builder().put("zeta", a).put("alpha", b).put("mid", c).build();

    assertThat(nt.names()).containsExactly("zeta", "alpha", "mid");
    assertThat(nt.tensors()).containsExactly(a, b, c);
    assertThat(nt.asMap().keySet()).containsExactly("zeta", "alpha", "mid");
    Iterator<Map.Entry<String, Tensor>> it = nt.iterator();
    assertThat(it.next()).isEqualTo(Map.entry("zeta", a));
    assertThat(it.next()).isEqualTo(Map.entry("alpha", b));
    assertThat(it.next()).isEqualTo(Map.entry("mid", c));
    assertThat(it.hasNext()).isFalse();
    assertThat(nt.size()).isEqualTo(3);
    assertThat(nt.isEmpty()).isFalse();
  }

  @Test
  @DisplayName("of(name, tensor, name, tensor) keeps the argument order")
  void ofTwoKeepsOrder() {
    NamedTensors nt = NamedTensors.of("y", a, "x", b);
    assertThat(nt.names()).containsExactly("y", "x");
    assertThat(nt.get("y")).isSameAs(a);
    assertThat(nt.get("x")).isSameAs(b);
    assertThat(NamedTensors.of("only", c).names()).containsExactly("only");
  }

  @Test
  @DisplayName("copyOf keeps the map's iteration order and is not affected by later changes to the map")
  void copyOfKeepsOrderAndCopies() {
    Map<String, Tensor> source = new LinkedHashMap<>();
    source.put("second", b);
    source.put("first", a);
    NamedTensors nt = NamedTensors.copyOf(source);
    source.put("third", c);
    source.remove("second");

    assertThat(nt.names()).containsExactly("second", "first");
    assertThat(nt.get("third")).isNull();
  }

  @Test
  @DisplayName("a repeated name is rejected, naming it, and the first tensor stays")
  void duplicatesRejected() {
    NamedTensors.Builder builder = NamedTensors.builder().put("x", a);
    assertThatThrownBy(() -> builder.put("x", b))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'x'")
        .hasMessageContaining("twice");
    assertThat(builder.build().get("x")).isSameAs(a);
    assertThatThrownBy(() -> NamedTensors.of("x", a, "x", a)).isExactlyInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("an empty name is rejected")
  void emptyNameRejected() {
    assertThatThrownBy(() -> NamedTensors.of("", a))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("empty");
    assertThatThrownBy(() -> NamedTensors.copyOf(Map.of("", a))).isExactlyInstanceOf(IllegalArgumentException.class);
  }

  @Test
  @DisplayName("null names, tensors and maps give NullPointerException")
  void nullsRejected() {
    assertThatThrownBy(() -> NamedTensors.of(null, a)).isExactlyInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> NamedTensors.of("x", null))
        .isExactlyInstanceOf(NullPointerException.class)
        .hasMessageContaining("'x'");
    assertThatThrownBy(() -> NamedTensors.builder().put(null, null)).isExactlyInstanceOf(NullPointerException.class);
    assertThatThrownBy(() -> NamedTensors.copyOf(null)).isExactlyInstanceOf(NullPointerException.class);
    Map<String, Tensor> nullKey = new HashMap<>();
    nullKey.put(null, a);
    assertThatThrownBy(() -> NamedTensors.copyOf(nullKey)).isExactlyInstanceOf(NullPointerException.class);
    Map<String, Tensor> nullValue = new HashMap<>();
    nullValue.put("x", null);
    assertThatThrownBy(() -> NamedTensors.copyOf(nullValue)).isExactlyInstanceOf(NullPointerException.class);
  }

  @Test
  @DisplayName("get returns null for an absent name; require throws with the present names listed")
  void getAndRequire() {
    NamedTensors nt = NamedTensors.of("input_ids", a, "attention_mask", b);
    assertThat(nt.get("input_ids")).isSameAs(a);
    assertThat(nt.get("nope")).isNull();
    assertThat(nt.require("attention_mask")).isSameAs(b);
    assertThatThrownBy(() -> nt.require("token_type_ids"))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'token_type_ids'")
        .hasMessageContaining("[input_ids, attention_mask]");
    assertThatThrownBy(() -> NamedTensors.empty().require("x"))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("[]");
  }

  @Test
  @DisplayName("equals needs the same names, equal tensors and the same order")
  void equalsIsOrderSensitive() {
    NamedTensors ab = NamedTensors.of("a", a, "b", b);
    NamedTensors ab2 = NamedTensors.of("a", Tensor.of(new float[] {1, 2}, 2), "b", Tensor.of(new int[] {3}, 1));
    NamedTensors ba = NamedTensors.of("b", b, "a", a);

    assertThat(ab).isEqualTo(ab2);
    assertThat(ab.hashCode()).isEqualTo(ab2.hashCode());
    assertThat(ab).isNotEqualTo(ba);
    assertThat(ba).isNotEqualTo(ab);
    assertThat(ab).isNotEqualTo(NamedTensors.of("a", a, "c", b));
    assertThat(ab).isNotEqualTo(NamedTensors.of("a", a, "b", c));
    assertThat(ab).isNotEqualTo(NamedTensors.of("a", a));
    assertThat(ab).isNotEqualTo(ab.asMap());
    assertThat(NamedTensors.builder().build()).isEqualTo(NamedTensors.empty());
  }

  @Test
  @DisplayName("building again after more puts leaves an already built instance alone")
  void builderReuse() {
    NamedTensors.Builder builder = NamedTensors.builder().put("a", a);
    NamedTensors first = builder.build();
    builder.put("b", b);
    NamedTensors second = builder.build();

    assertThat(first.names()).containsExactly("a");
    assertThat(first.size()).isEqualTo(1);
    assertThat(first.get("b")).isNull();
    assertThat(second.names()).containsExactly("a", "b");
    assertThat(builder.build()).isEqualTo(second).isNotSameAs(second);
  }

  @Test
  @DisplayName("views cannot change the collection")
  void viewsAreUnmodifiable() {
    NamedTensors nt = NamedTensors.of("a", a, "b", b);
    assertThatThrownBy(() -> nt.asMap().put("c", c)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> nt.names().remove("a")).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> nt.tensors().add(c)).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> {
      Iterator<Map.Entry<String, Tensor>> it = nt.iterator();
      it.next();
      it.remove();
    }).isInstanceOf(UnsupportedOperationException.class);
    assertThatThrownBy(() -> nt.iterator().next().setValue(c)).isInstanceOf(UnsupportedOperationException.class);
    assertThat(nt.names()).containsExactly("a", "b");
    assertThat(nt.get("a")).isSameAs(a);
  }

  @Test
  @DisplayName("the empty collection is empty")
  void empty() {
    assertThat(NamedTensors.empty().isEmpty()).isTrue();
    assertThat(NamedTensors.empty().size()).isZero();
    assertThat(NamedTensors.empty().names()).isEmpty();
    assertThat(NamedTensors.empty().iterator().hasNext()).isFalse();
    assertThat(NamedTensors.copyOf(Map.of())).isEqualTo(NamedTensors.empty());
    assertThat(NamedTensors.empty().tensors()).isEqualTo(List.of());
  }

  @Test
  @DisplayName("toString lists names with the tensors' dtype and shape")
  void toStringListsNames() {
    assertThat(NamedTensors.of("x", a, "y", b)).hasToString("{x=Tensor[float32 2], y=Tensor[int32 1]}");
  }
}
