package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** Reading any tensor generically, and buffers whose byte order is not the one read. */
class TensorReadingTest {

  @Test
  @DisplayName("bug: fromBuffer read a big-endian buffer as native order (other numbers, silently); it refuses it")
  void bigEndianBufferIsRefused() {
    ByteBuffer big = ByteBuffer.allocate(8); // ByteBuffer.allocate starts big-endian
    big.putFloat(1.5f).putFloat(-2f).flip();
    assertThat(big.order()).isEqualTo(ByteOrder.BIG_ENDIAN);
    assertThatThrownBy(() -> Tensor.fromBuffer(DType.FLOAT32, big, 2)).isInstanceOf(IllegalArgumentException.class)
        .hasMessageContaining("BIG_ENDIAN").hasMessageContaining("buffer.order(ByteOrder.nativeOrder())");
    ByteBuffer nativeOrder = ByteBuffer.allocate(8).order(ByteOrder.nativeOrder());
    nativeOrder.putFloat(1.5f).putFloat(-2f).flip();
    assertThat(Tensor.fromBuffer(DType.FLOAT32, nativeOrder, 2).toFloatArray()).containsExactly(1.5f, -2f);
    // one-byte elements have no byte order: any buffer will do
    ByteBuffer bytes = ByteBuffer.allocate(2).put((byte) 7).put((byte) -1).flip();
    assertThat(Tensor.fromBuffer(DType.INT8, bytes, 2).toByteArray()).containsExactly(7, -1);
  }

  @Test
  @DisplayName("toDoubles reads every numeric dtype and bool without a switch over dtypes; strings are refused")
  void toDoublesReadsEveryDtype() {
    assertThat(Tensor.of(new float[] {1.5f, -2f}, 2).toDoubles()).containsExactly(1.5, -2);
    assertThat(Tensor.of(new double[] {0.1, 1e300}, 2).toDoubles()).containsExactly(0.1, 1e300);
    assertThat(Tensor.ofHalf(DType.FLOAT16, new float[] {0.5f, -3f}, 2).toDoubles()).containsExactly(0.5, -3);
    assertThat(Tensor.ofHalf(DType.BFLOAT16, new float[] {2f, -0.25f}, 2).toDoubles()).containsExactly(2, -0.25);
    assertThat(Tensor.of(new long[] {Long.MIN_VALUE, 42}, 2).toDoubles()).containsExactly(-0x1p63, 42);
    assertThat(Tensor.of(new int[] {Integer.MIN_VALUE, 7}, 2).toDoubles()).containsExactly(Integer.MIN_VALUE, 7);
    assertThat(Tensor.ofShorts(DType.INT16, new short[] {-32768, 5}, 2).toDoubles()).containsExactly(-32768, 5);
    assertThat(Tensor.ofBytes(DType.INT8, new byte[] {-128, 127}, 2).toDoubles()).containsExactly(-128, 127);
    assertThat(Tensor.ofBytes(DType.UINT8, new byte[] {(byte) 255, 1}, 2).toDoubles()).containsExactly(255, 1);
    assertThat(Tensor.of(new boolean[] {true, false}, 2).toDoubles()).containsExactly(1, 0);
    int covered = 10;
    assertThat(DType.values()).as("every dtype but STRING is covered above").hasSize(covered + 1);
    assertThatThrownBy(() -> Tensor.of(new String[] {"a"}, 1).toDoubles()).isInstanceOf(IllegalStateException.class)
        .hasMessageContaining("toStringArray");
  }
}
