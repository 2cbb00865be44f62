package dev.swell.core.event;

/**
 * A version was unloaded to respect the runtime's residency limit or memory budget; its
 * predictors load it again on their next call.
 *
 * @param model the model
 * @param version the version
 * @param reason which limit
 */
public record VersionEvicted(String model, String version, String reason) implements SwellEvent {}
