package dev.swell.api.spi;

import java.util.Set;

/**
 * Plugs an inference engine into Swell. Found with {@link java.util.ServiceLoader} (list the class
 * in {@code META-INF/services/dev.swell.api.spi.BackendProvider}) or registered explicitly.
 *
 * <p>A provider is cheap: constructing it must not load native code or start threads. The work
 * happens in the {@link Backend} that {@link #create(BackendConfig)} returns.
 *
 * <p>Implementations are thread-safe and need a public no-argument constructor to be found by
 * {@code ServiceLoader}.
 */
public interface BackendProvider {

  /**
   * Returns a short unique name, such as {@code onnxruntime}.
   *
   * @return the name
   */
  String name();

  /**
   * Returns the artifact formats this backend loads, such as {@code onnx}.
   *
   * @return lower-case format names
   */
  Set<String> formats();

  /**
   * Returns whether this backend can work in this process (its native libraries load, say).
   * May be slow the first time; never throws.
   *
   * @return whether {@link #create(BackendConfig)} can succeed
   */
  boolean isAvailable();

  /**
   * Returns whether this backend can load an artifact. By default: whether it knows its format.
   *
   * @param artifact the artifact
   * @return whether {@link Backend#load(ModelArtifact)} may succeed
   */
  default boolean canLoad(ModelArtifact artifact) {
    return formats().contains(artifact.format());
  }

  /**
   * Creates the backend.
   *
   * @param config threads, execution providers, options
   * @return a new backend; the caller closes it
   * @throws dev.swell.api.BackendException if the engine cannot start
   */
  Backend create(BackendConfig config);

  /**
   * Describes this backend on this machine for diagnostics: its native library's version, the
   * devices or execution providers it was built with and whether each is usable here (and if not,
   * why). Must not throw; cheap enough to call from a health or support command. By default:
   * whether the backend is available.
   *
   * @return facts by name, in a stable order; values are strings, numbers, booleans, lists or maps
   */
  default java.util.Map<String, Object> diagnostics() {
    return java.util.Map.of("available", isAvailable());
  }
}
