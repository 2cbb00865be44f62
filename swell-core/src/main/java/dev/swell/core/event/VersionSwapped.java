package dev.swell.core.event;

/**
 * A predictor that follows a selector moved to another version.
 *
 * @param model the model
 * @param selector the selector followed, such as {@code alias production}
 * @param from the version that served before
 * @param to the version that serves now
 */
public record VersionSwapped(String model, String selector, String from, String to) implements SwellEvent {}
