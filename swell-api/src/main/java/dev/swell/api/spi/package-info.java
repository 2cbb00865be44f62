/**
 * Service-provider interfaces: {@link dev.swell.api.spi.BackendProvider} plugs in an inference
 * engine (found with {@link java.util.ServiceLoader}), and {@link dev.swell.api.spi.ModelRepository}
 * says where model versions come from. Hosts rarely touch these; backend and registry authors do.
 */
package dev.swell.api.spi;
