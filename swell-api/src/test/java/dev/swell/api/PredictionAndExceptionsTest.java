package dev.swell.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class PredictionAndExceptionsTest {

  @Nested
  @DisplayName("Prediction")
  class Predictions {

    private final Tensor y = Tensor.of(new float[] {0.25f, 0.75f}, 1, 2);
    private final NamedTensors outputs = NamedTensors.of("y", y);

    @Test
    @DisplayName("carries outputs, model and version, and no variant outside an experiment")
    void basics() {
      Prediction p = Prediction.of(outputs, "ranker", "1.2.0");
      assertThat(p.outputs()).isSameAs(outputs);
      assertThat(p.output("y")).isSameAs(y);
      assertThat(p.model()).isEqualTo("ranker");
      assertThat(p.version()).isEqualTo("1.2.0");
      assertThat(p.variant()).isEmpty();
      assertThat(p).hasToString("Prediction[ranker 1.2.0 {y=Tensor[float32 1x2]}]");
    }

    @Test
    @DisplayName("output of a missing name throws, listing the outputs")
    void missingOutput() {
      Prediction p = Prediction.of(outputs, "ranker", "1.2.0");
      assertThatThrownBy(() -> p.output("z"))
          .isExactlyInstanceOf(IllegalArgumentException.class)
          .hasMessageContaining("'z'")
          .hasMessageContaining("[y]");
    }

    @Test
    @DisplayName("withVariant returns a copy with the variant and leaves the original alone")
    void withVariant() {
      Prediction p = Prediction.of(outputs, "ranker", "1.2.0");
      Prediction v = p.withVariant("treatment");
      assertThat(v).isNotSameAs(p);
      assertThat(v.variant()).contains("treatment");
      assertThat(v.outputs()).isSameAs(outputs);
      assertThat(v.model()).isEqualTo("ranker");
      assertThat(v.version()).isEqualTo("1.2.0");
      assertThat(p.variant()).isEmpty();
      assertThat(v).hasToString("Prediction[ranker 1.2.0 variant treatment {y=Tensor[float32 1x2]}]");
    }

    @Test
    void nullsRejected() {
      assertThatThrownBy(() -> Prediction.of(null, "m", "1")).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("outputs");
      assertThatThrownBy(() -> Prediction.of(outputs, null, "1")).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("model");
      assertThatThrownBy(() -> Prediction.of(outputs, "m", null)).isInstanceOf(NullPointerException.class)
          .hasMessageContaining("version");
      assertThatThrownBy(() -> Prediction.of(outputs, "m", "1").withVariant(null))
          .isInstanceOf(NullPointerException.class)
          .hasMessageContaining("variant");
    }
  }

  @Nested
  @DisplayName("exceptions")
  class Exceptions {

    @Test
    @DisplayName("the message starts with the model and version when they are known")
    void messagePrefix() {
      Throwable cause = new IOException("disk");
      SwellException both = new SwellException("failed", "ranker", "1.2.0", cause);
      assertThat(both).hasMessage("model 'ranker' 1.2.0: failed").hasCause(cause);
      assertThat(both.model()).isEqualTo("ranker");
      assertThat(both.version()).isEqualTo("1.2.0");

      assertThat(new SwellException("failed", "ranker", null, null)).hasMessage("model 'ranker': failed");
      SwellException neither = new SwellException("failed", null, null, null);
      assertThat(neither).hasMessage("failed").hasNoCause();
      assertThat(neither.model()).isNull();
      assertThat(neither.version()).isNull();
    }

    @Test
    @DisplayName("every domain failure is an unchecked SwellException")
    void hierarchy() {
      assertThat(new SwellException("x", null, null, null)).isInstanceOf(RuntimeException.class);
      assertThat(new BackendException("x", "m", "1", null)).isInstanceOf(SwellException.class);
      assertThat(new IntegrityException("x", "m", "1", null)).isInstanceOf(SwellException.class);
      assertThat(new ModelNotFoundException("x", "m", null)).isInstanceOf(SwellException.class);
      assertThat(new OverloadException("x", "m", null)).isInstanceOf(SwellException.class);
      assertThat(new DeadlineExceededException("x", "m", null)).isInstanceOf(SwellException.class);
      assertThat(new InvalidInputException("m", "1", "x", "a", "b")).isInstanceOf(SwellException.class);
    }

    @Test
    @DisplayName("subclasses keep model, version, message and cause")
    void subclassesKeepFields() {
      Throwable cause = new IllegalStateException("native");
      BackendException be = new BackendException("load failed", "m", "2", cause);
      assertThat(be).hasMessage("model 'm' 2: load failed").hasCause(cause);
      assertThat(be.model()).isEqualTo("m");
      IntegrityException ie = new IntegrityException("hash differs", "m", "3", null);
      assertThat(ie).hasMessage("model 'm' 3: hash differs");
      assertThat(ie.version()).isEqualTo("3");
      ModelNotFoundException nf = new ModelNotFoundException("no such model", "m", "^1.2");
      assertThat(nf).hasMessage("model 'm' ^1.2: no such model");
    }

    @Test
    @DisplayName("overload and deadline rejections skip the stack trace and cannot be given one")
    void hotPathRejectionsHaveNoStackTrace() {
      OverloadException o = new OverloadException("queue full (64)", "m", "1");
      DeadlineExceededException d = new DeadlineExceededException("deadline passed by 5 ms", "m", null);
      assertThat(o.getStackTrace()).isEmpty();
      assertThat(d.getStackTrace()).isEmpty();
      assertThat(o).hasMessage("model 'm' 1: queue full (64)").hasNoCause();
      assertThat(d).hasMessage("model 'm': deadline passed by 5 ms");
      o.setStackTrace(new Throwable().getStackTrace());
      assertThat(o.getStackTrace()).isEmpty();
      assertThat(new BackendException("x", null, null, null).getStackTrace()).isNotEmpty();
    }

    @Test
    @DisplayName("InvalidInputException says which input, what was expected and what came")
    void invalidInput() {
      InvalidInputException e = new InvalidInputException("m", "1", "x", "float32[?x16]", "int64[2x16]");
      assertThat(e).hasMessage("model 'm' 1: input 'x': expected float32[?x16], got int64[2x16]");
      assertThat(e.input()).isEqualTo("x");
      assertThat(e.expected()).isEqualTo("float32[?x16]");
      assertThat(e.actual()).isEqualTo("int64[2x16]");
      assertThat(e.getCause()).isNull();

      InvalidInputException general = new InvalidInputException(null, null, null, "1 input", "2 inputs");
      assertThat(general).hasMessage("invalid input: expected 1 input, got 2 inputs");
      assertThat(general.input()).isNull();
    }
  }
}
