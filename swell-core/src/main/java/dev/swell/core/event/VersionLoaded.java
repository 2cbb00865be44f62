package dev.swell.core.event;

import java.time.Duration;

/**
 * A version was loaded into a backend and warmed up, ready to serve.
 *
 * @param model the model
 * @param version the version
 * @param device where it runs, such as {@code cpu}
 * @param loadTime loading and warming up
 * @param footprintBytes the resident memory it keeps, as measured at load (-1 if unknown)
 * @param loadPeakBytes the resident memory its load took at its peak (the file read, weights
 *     copied and pre-packed), the room a load of it needs under a memory budget (-1 if unknown)
 */
public record VersionLoaded(String model, String version, String device, Duration loadTime, long footprintBytes,
    long loadPeakBytes)
    implements SwellEvent {}
