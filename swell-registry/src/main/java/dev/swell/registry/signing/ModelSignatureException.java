package dev.swell.registry.signing;

import dev.swell.api.IntegrityException;

/**
 * A model signature was missing, malformed, made by an untrusted key, invalid, or over other
 * files than the ones present. A version refused for this reason is never served.
 */
public final class ModelSignatureException extends IntegrityException {

  private static final long serialVersionUID = 1L;

  /** Why a signature was refused. */
  public enum Reason {
    /** The trust policy requires a signature and there is none. */
    UNSIGNED,
    /** The bundle is not a model-signing bundle this code understands (its text says what). */
    MALFORMED,
    /** No trusted key made the signature. */
    UNTRUSTED_KEY,
    /** The signature does not verify: the signed statement was changed, or the signature was. */
    BAD_SIGNATURE,
    /** The signature is valid, but the files present are not the files signed. */
    FILES_DIFFER
  }

  private final Reason reason;

  /**
   * Creates an exception.
   *
   * @param reason why the signature was refused
   * @param message what was wrong and what was expected
   * @param model the model, or null
   * @param version the version, or null
   * @param cause the underlying failure, or null
   */
  public ModelSignatureException(Reason reason, String message, String model, String version, Throwable cause) {
    super("signature refused (" + reason.name().toLowerCase(java.util.Locale.ROOT).replace('_', ' ') + "): "
        + message, model, version, cause);
    this.reason = reason;
  }

  /**
   * Why the signature was refused.
   *
   * @return the reason
   */
  public Reason reason() {
    return reason;
  }
}
