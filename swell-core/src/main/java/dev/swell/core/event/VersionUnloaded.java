package dev.swell.core.event;

/**
 * A version's memory was freed: its last user closed, it was swapped out, or it was unloaded on
 * request.
 *
 * @param model the model
 * @param version the version
 */
public record VersionUnloaded(String model, String version) implements SwellEvent {}
