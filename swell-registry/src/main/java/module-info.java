/**
 * The file-backed model registry ({@code dev.swell.registry}) and version signing
 * ({@code dev.swell.registry.signing}). The command line ({@code dev.swell.registry.cli}) is not
 * exported; run it with {@code java -m dev.swell.registry/dev.swell.registry.cli.RegistryCli}.
 */
module dev.swell.registry {
  requires transitive dev.swell.api;
  requires com.fasterxml.jackson.databind;
  requires org.apache.commons.compress;
  requires org.slf4j;
  requires java.management; // the CLI's diagnostics

  exports dev.swell.registry;
  exports dev.swell.registry.signing;

  uses dev.swell.api.spi.BackendProvider; // the CLI's load check
}
