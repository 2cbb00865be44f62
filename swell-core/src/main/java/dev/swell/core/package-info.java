/**
 * Swell's runtime. {@link dev.swell.core.Swell} finds backends, loads models and hands out
 * predictors that validate every input against the model's signature before native code sees it.
 */
package dev.swell.core;
