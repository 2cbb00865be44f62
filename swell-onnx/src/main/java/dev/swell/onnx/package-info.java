/**
 * The ONNX Runtime backend of Swell. {@link dev.swell.onnx.OnnxBackendProvider} is found through
 * {@link java.util.ServiceLoader} (on the class path from {@code META-INF/services}, on the module
 * path from {@code provides} in this module's descriptor).
 */
package dev.swell.onnx;
