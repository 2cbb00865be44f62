package dev.swell.core.event;

import java.time.Duration;

/**
 * Loading, checking or warming up a version failed; whatever served before keeps serving.
 *
 * @param model the model
 * @param version the version that failed, or null when the selector did not resolve
 * @param reason what went wrong
 * @param retryIn when the runtime tries again (the backoff), or zero for a direct load
 */
public record LoadFailed(String model, String version, String reason, Duration retryIn) implements SwellEvent {}
