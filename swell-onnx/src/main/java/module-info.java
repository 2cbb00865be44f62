/**
 * The ONNX Runtime backend: provides {@code dev.swell.api.spi.BackendProvider} with
 * {@code dev.swell.onnx.OnnxBackendProvider}. Reads {@code com.microsoft.onnxruntime}, the
 * automatic module name of both the {@code onnxruntime_gpu} and the CPU-only {@code onnxruntime}
 * jar, so either may be on the module path.
 */
@SuppressWarnings("requires-automatic")
module dev.swell.onnx {
  requires dev.swell.api;
  requires com.microsoft.onnxruntime;
  requires org.slf4j;

  exports dev.swell.onnx;

  provides dev.swell.api.spi.BackendProvider with dev.swell.onnx.OnnxBackendProvider;
}
