package dev.swell.samples.spring;

import dev.swell.api.InvalidInputException;
import dev.swell.api.NamedTensors;
import dev.swell.api.OverloadException;
import dev.swell.api.Prediction;
import dev.swell.api.Tensor;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.springframework.http.HttpStatus;
import org.springframework.http.ResponseEntity;
import org.springframework.web.bind.annotation.ExceptionHandler;
import org.springframework.web.bind.annotation.PostMapping;
import org.springframework.web.bind.annotation.RequestBody;
import org.springframework.web.bind.annotation.RestController;

/**
 * {@code POST /predict} with {@code {"x": [0.1, 3.2, 0.0, 1.5]}}: each named input is one row of
 * float32 features; the answer names the model and version that served it.
 */
@RestController
public class PredictController {

  private final ModelHolder holder;

  /**
   * Creates the controller.
   *
   * @param holder the served model
   */
  public PredictController(ModelHolder holder) {
    this.holder = holder;
  }

  /**
   * Predicts one row.
   *
   * @param inputs input name to its features
   * @return model, version and outputs
   */
  @PostMapping("/predict")
  public Map<String, Object> predict(@RequestBody Map<String, List<Float>> inputs) {
    Map<String, Tensor> tensors = new LinkedHashMap<>();
    inputs.forEach((name, values) -> {
      float[] row = new float[values.size()];
      for (int i = 0; i < row.length; i++) {
        if (values.get(i) == null) {
          throw new IllegalArgumentException("input '" + name + "' holds null at index " + i);
        }
        row[i] = values.get(i);
      }
      tensors.put(name, Tensor.of(row, 1, row.length));
    });
    Prediction p = holder.predictor().predict(NamedTensors.copyOf(tensors));
    Map<String, Object> outputs = new LinkedHashMap<>();
    p.outputs().names().forEach(n -> outputs.put(n, p.output(n).toFloatArray()));
    return Map.of("model", p.model(), "version", p.version(), "outputs", outputs);
  }

  @ExceptionHandler({InvalidInputException.class, IllegalArgumentException.class})
  ResponseEntity<Map<String, String>> invalid(RuntimeException e) {
    return ResponseEntity.badRequest().body(Map.of("error", e.getMessage()));
  }

  @ExceptionHandler({OverloadException.class, IllegalStateException.class})
  ResponseEntity<Map<String, String>> unavailable(RuntimeException e) {
    return ResponseEntity.status(HttpStatus.SERVICE_UNAVAILABLE).body(Map.of("error", e.getMessage()));
  }
}
