/**
 * Swell's public types: {@link dev.swell.api.Tensor} and {@link dev.swell.api.DType}, named tensor
 * collections, model {@link dev.swell.api.Signature}s, the {@link dev.swell.api.Predictor} a host
 * calls, and the {@link dev.swell.api.SwellException} family. Depends on nothing but the JDK.
 */
package dev.swell.api;
