/**
 * Swell's API: tensors, predictors and their failures ({@code dev.swell.api}), and the service
 * provider interface through which backends and model repositories plug in
 * ({@code dev.swell.api.spi}). Depends on nothing but {@code java.base}.
 */
module dev.swell.api {
  exports dev.swell.api;
  exports dev.swell.api.spi;
}
