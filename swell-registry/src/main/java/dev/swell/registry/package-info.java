/**
 * The file-backed, versioned model registry: {@link dev.swell.registry.FileModelRegistry} publishes
 * immutable versions with manifests, moves aliases with history, verifies integrity, and serves as
 * the {@link dev.swell.api.spi.ModelRepository} that Swell's runtime loads versions from.
 */
package dev.swell.registry;
