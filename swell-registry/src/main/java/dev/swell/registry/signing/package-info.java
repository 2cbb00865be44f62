/**
 * Signing model versions in the OpenSSF model-signing format ({@code model_signing} 1.x): keys,
 * bundles, and the trust policy a registry enforces.
 */
package dev.swell.registry.signing;
