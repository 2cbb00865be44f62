/**
 * The ONNX Runtime backend of Swell. {@link dev.swell.onnx.OnnxBackendProvider} is found through
 * {@link java.util.ServiceLoader}; {@link dev.swell.onnx.OnnxNativeStats} counts the native
 * objects it holds.
 */
package dev.swell.onnx;
