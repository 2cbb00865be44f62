package dev.swell.core;

import dev.swell.api.NamedTensors;
import dev.swell.api.spi.ModelArtifact;

/** How predictors take and give back the shared loaded copy of a version (the runtime's {@link Hosts}). */
interface Leases {

  /**
   * Takes the version's copy, loading and warming it if nobody holds one; counted in the metrics.
   *
   * @param recent a recent request to warm a fresh copy with, or null
   */
  Hosts.Lease acquire(ModelArtifact artifact, NamedTensors recent);

  /** Gives a copy back; the last user closes it now, waiting for its running calls. */
  void release(HostedVersion host);

  /** Gives a copy back; if it was the last user, the copy closes on the retire pool. */
  void releaseLater(HostedVersion host);
}
