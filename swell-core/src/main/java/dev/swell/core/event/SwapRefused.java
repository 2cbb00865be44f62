package dev.swell.core.event;

/**
 * A version the selector names was not swapped in (incompatible signature, failed warm-up); the
 * old version keeps serving.
 *
 * @param model the model
 * @param selector the selector followed
 * @param serving the version that keeps serving
 * @param refused the version not swapped in
 * @param reason why
 */
public record SwapRefused(String model, String selector, String serving, String refused, String reason)
    implements SwellEvent {}
