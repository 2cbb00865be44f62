package dev.swell.registry;

import java.time.Duration;

/**
 * Which versions garbage collection keeps: the newest {@code keepLast} versions, every version an
 * alias points at or can roll back to, and (unless {@code deleteAncestors}) every ancestor of
 * those. Staging folders left by crashed publishers are removed once older than
 * {@code stagingMaxAge}.
 *
 * <p>Immutable. A class rather than a record, so that options can be added without changing a
 * public constructor.
 */
public final class RetentionPolicy {

  private final int keepLast;
  private final boolean deleteAncestors;
  private final Duration stagingMaxAge;

  /** Staging folders older than this are abandoned: no publish takes an hour to copy. */
  public static final Duration DEFAULT_STAGING_MAX_AGE = Duration.ofHours(1);

  /**
   * Validates the components.
   *
   * @param keepLast newest versions kept
   * @param deleteAncestors whether ancestors of aliased versions may go
   * @param stagingMaxAge age of abandoned staging folders
   */
  private RetentionPolicy(int keepLast, boolean deleteAncestors, Duration stagingMaxAge) {
    if (keepLast < 0) {
      throw new IllegalArgumentException("keepLast must be >= 0, was " + keepLast);
    }
    if (stagingMaxAge.isNegative()) {
      throw new IllegalArgumentException("stagingMaxAge must not be negative, was " + stagingMaxAge);
    }
    this.keepLast = keepLast;
    this.deleteAncestors = deleteAncestors;
    this.stagingMaxAge = stagingMaxAge;
  }

  /**
   * Keeps the newest {@code n} versions, aliased versions and their ancestors.
   *
   * @param n how many of the newest versions to keep
   * @return the policy
   */
  public static RetentionPolicy keepLast(int n) {
    return new RetentionPolicy(n, false, DEFAULT_STAGING_MAX_AGE);
  }

  /**
   * Returns a copy that may delete ancestors of aliased versions.
   *
   * @return the policy
   */
  public RetentionPolicy deletingAncestors() {
    return new RetentionPolicy(keepLast, true, stagingMaxAge);
  }

  /**
   * Returns a copy with another staging age.
   *
   * @param age the age
   * @return the policy
   */
  public RetentionPolicy withStagingMaxAge(Duration age) {
    return new RetentionPolicy(keepLast, deleteAncestors, age);
  }

  /**
   * Returns the {@code keepLast}: how many of the newest versions to keep, at least 0.
   *
   * @return how many of the newest versions to keep, at least 0
   */
  public int keepLast() {
    return keepLast;
  }

  /**
   * Returns the {@code deleteAncestors}: whether ancestors of aliased versions may be deleted.
   *
   * @return whether ancestors of aliased versions may be deleted
   */
  public boolean deleteAncestors() {
    return deleteAncestors;
  }

  /**
   * Returns the {@code stagingMaxAge}: how old an abandoned staging folder must be to be removed.
   *
   * @return how old an abandoned staging folder must be to be removed
   */
  public Duration stagingMaxAge() {
    return stagingMaxAge;
  }

  @Override
  public boolean equals(Object other) {
    return other instanceof RetentionPolicy o && o.keepLast == keepLast
        && o.deleteAncestors == deleteAncestors
        && java.util.Objects.equals(o.stagingMaxAge, stagingMaxAge);
  }

  @Override
  public int hashCode() {
    return java.util.Objects.hash(keepLast, deleteAncestors, stagingMaxAge);
  }

  @Override
  public String toString() {
    return "RetentionPolicy[keepLast=" + keepLast
        + ", deleteAncestors=" + deleteAncestors
        + ", stagingMaxAge=" + stagingMaxAge + "]";
  }
}
