package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

class DTypeTest {

  @Test
  @DisplayName("element sizes match the ONNX Runtime types")
  void byteSizes() {
    assertThat(DType.FLOAT32.byteSize()).isEqualTo(4);
    assertThat(DType.FLOAT64.byteSize()).isEqualTo(8);
    assertThat(DType.FLOAT16.byteSize()).isEqualTo(2);
    assertThat(DType.BFLOAT16.byteSize()).isEqualTo(2);
    assertThat(DType.INT8.byteSize()).isEqualTo(1);
    assertThat(DType.UINT8.byteSize()).isEqualTo(1);
    assertThat(DType.INT16.byteSize()).isEqualTo(2);
    assertThat(DType.INT32.byteSize()).isEqualTo(4);
    assertThat(DType.INT64.byteSize()).isEqualTo(8);
    assertThat(DType.BOOL.byteSize()).isEqualTo(1);
    assertThat(DType.STRING.byteSize()).isEqualTo(-1);
    assertThat(DType.STRING.isFixedSize()).isFalse();
  }

  @ParameterizedTest
  @EnumSource(DType.class)
  @DisplayName("fromName finds each type by display name or enum name, in any case; toString is the display name")
  void fromNameRoundTrips(DType type) {
    assertThat(type.isFixedSize()).isEqualTo(type != DType.STRING);
    assertThat(type.toString()).isEqualTo(type.displayName());
    assertThat(type.displayName()).isEqualTo(type.displayName().toLowerCase());
    assertThat(DType.fromName(type.displayName())).isSameAs(type);
    assertThat(DType.fromName(type.displayName().toUpperCase())).isSameAs(type);
    assertThat(DType.fromName(type.name())).isSameAs(type);
  }

  @Test
  @DisplayName("an unknown name is rejected, quoting it and listing the known names")
  void unknownName() {
    assertThatThrownBy(() -> DType.fromName("float8"))
        .isExactlyInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("'float8'")
        .hasMessageContaining("bfloat16")
        .hasMessageContaining("string");
    assertThatThrownBy(() -> DType.fromName("")).isExactlyInstanceOf(IllegalArgumentException.class);
  }
}
