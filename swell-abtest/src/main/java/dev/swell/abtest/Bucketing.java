package dev.swell.abtest;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;

/**
 * Deterministic assignment: a unit's bucket in [0, 10,000) is the first 8 bytes of
 * SHA-256(experiment key, 0, unit key), modulo 10,000. The same on every JVM, instance and
 * restart; independent between experiments (the key is hashed in).
 */
final class Bucketing {

  /** Buckets, so a share is resolved to 0.01%. */
  static final int BUCKETS = 10_000;

  private static final ThreadLocal<MessageDigest> SHA256 = ThreadLocal.withInitial(() -> {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JVM has SHA-256", e);
    }
  });

  private Bucketing() {}

  static int bucket(String experiment, String unit) {
    MessageDigest md = SHA256.get();
    md.update(experiment.getBytes(StandardCharsets.UTF_8));
    md.update((byte) 0);
    byte[] h = md.digest(unit.getBytes(StandardCharsets.UTF_8));
    long x = 0;
    for (int i = 0; i < 8; i++) {
      x = (x << 8) | (h[i] & 0xff);
    }
    return (int) Long.remainderUnsigned(x, BUCKETS);
  }
}
