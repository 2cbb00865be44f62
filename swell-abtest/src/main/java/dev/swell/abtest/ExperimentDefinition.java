package dev.swell.abtest;

import dev.swell.abtest.assign.Allocation;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;

/**
 * An experiment's whole definition, as the registry stores it and every replica follows it: the
 * model, the variants, how units are assigned (seed, hash version, coverage, namespace, and the
 * bucket ranges each variant owns now), the decision policy, the bandit policy if any, the
 * status, and the share each variant had in each revision (what the sample-ratio check expects).
 * Every change — a ramp, a rollback, new bandit weights, a promotion — is a new revision written
 * by compare-and-set, with an entry in the registry's history and event log.
 *
 * <p>Immutable. Made by {@link Experiment.Builder}; read it with {@link Experiment#definition()}.
 */
public final class ExperimentDefinition {

  /** The life of an experiment. */
  public enum Status {
    /** Assigning units and recording outcomes. */
    RUNNING,
    /** Stopped by hand: every unit is served by the control, nothing is counted. */
    STOPPED,
    /** Decided: a challenger was promoted (or the policy concluded); every unit is served by the control. */
    CONCLUDED
  }

  /**
   * The shares in force from a revision on, for the sample-ratio check.
   *
   * @param revision the first revision with these shares
   * @param shares per variation (control first), fractions of the bucket space
   */
  public record SharePeriod(long revision, double[] shares) {
    /**
     * Copies the shares.
     *
     * @param revision revision
     * @param shares shares
     */
    public SharePeriod {
      shares = shares.clone();
    }

    /**
     * Returns a copy of the shares.
     *
     * @return per variation
     */
    @Override
    public double[] shares() {
      return shares.clone();
    }
  }

  /**
   * A shadow and the fraction of requests copied to it.
   *
   * @param variant the shadow
   * @param fraction of requests, 0 to 1
   */
  public record Shadow(Variant variant, double fraction) {
    /**
     * Validates.
     *
     * @param variant a shadow variant
     * @param fraction 0 to 1
     */
    public Shadow {
      Objects.requireNonNull(variant, "variant");
      if (!(fraction >= 0 && fraction <= 1)) {
        throw new IllegalArgumentException("shadow '" + variant.name() + "' fraction must be in [0, 1], was " + fraction);
      }
    }
  }

  private final String key;
  private final String model;
  private final String hashAttribute;
  private final double coverage;
  private final List<Variant> variations; // control first, then challengers
  private final List<Shadow> shadows;
  private final Allocation allocation;
  private final DecisionPolicy policy;
  private final BanditPolicy bandit; // null: fixed shares
  private final Duration decideEvery;
  private final Status status;
  private final Set<String> stopped; // challengers rolled back: their share stays 0
  private final List<SharePeriod> shareHistory;
  private final boolean srmFlagged;
  private final String outcome; // what concluded it, or null
  private final long revision;

  ExperimentDefinition(String key, String model, String hashAttribute, double coverage, List<Variant> variations,
      List<Shadow> shadows, Allocation allocation, DecisionPolicy policy, BanditPolicy bandit, Duration decideEvery,
      Status status, Set<String> stopped, List<SharePeriod> shareHistory, boolean srmFlagged, String outcome,
      long revision) {
    this.key = key;
    this.model = model;
    this.hashAttribute = hashAttribute;
    this.coverage = coverage;
    this.variations = List.copyOf(variations);
    this.shadows = List.copyOf(shadows);
    this.allocation = allocation;
    this.policy = policy;
    this.bandit = bandit;
    this.decideEvery = decideEvery;
    this.status = status;
    this.stopped = Set.copyOf(stopped);
    this.shareHistory = List.copyOf(shareHistory);
    this.srmFlagged = srmFlagged;
    this.outcome = outcome;
    this.revision = revision;
    if (allocation.variations() != variations.size()) {
      throw new IllegalArgumentException(allocation.variations() + " allocated variations for " + variations.size());
    }
  }

  /**
   * Returns the experiment's key.
   *
   * @return the key
   */
  public String key() {
    return key;
  }

  /**
   * Returns the model whose versions the variants serve.
   *
   * @return the model
   */
  public String model() {
    return model;
  }

  /**
   * Returns the name of the unit attribute assignment hashes (GrowthBook's {@code hashAttribute}):
   * informational, the caller passes its value.
   *
   * @return such as {@code id} or {@code userId}
   */
  public String hashAttribute() {
    return hashAttribute;
  }

  /**
   * Returns the coverage the experiment was laid out with.
   *
   * @return the fraction of units in the experiment at creation
   */
  public double coverage() {
    return coverage;
  }

  /**
   * Returns the control and the challengers, in GrowthBook's variation order (control 0).
   *
   * @return the variations
   */
  public List<Variant> variations() {
    return variations;
  }

  /**
   * Returns the control.
   *
   * @return variation 0
   */
  public Variant control() {
    return variations.get(0);
  }

  /**
   * Returns the challengers.
   *
   * @return variations 1 and up
   */
  public List<Variant> challengers() {
    return variations.subList(1, variations.size());
  }

  /**
   * Returns the shadows.
   *
   * @return the shadows and their fractions
   */
  public List<Shadow> shadows() {
    return shadows;
  }

  /**
   * Returns how units are assigned now.
   *
   * @return the allocation
   */
  public Allocation allocation() {
    return allocation;
  }

  /**
   * Returns the decision policy.
   *
   * @return the policy
   */
  public DecisionPolicy policy() {
    return policy;
  }

  /**
   * Returns the bandit policy.
   *
   * @return the bandit policy, or empty for fixed shares
   */
  public Optional<BanditPolicy> bandit() {
    return Optional.ofNullable(bandit);
  }

  /**
   * Returns how often the deciding replica evaluates the policy.
   *
   * @return the interval
   */
  public Duration decideEvery() {
    return decideEvery;
  }

  /**
   * Returns the status.
   *
   * @return running, stopped or concluded
   */
  public Status status() {
    return status;
  }

  /**
   * Returns the challengers that were rolled back (their share stays 0).
   *
   * @return their names
   */
  public Set<String> stoppedVariants() {
    return stopped;
  }

  /**
   * Returns the shares in force from each revision on.
   *
   * @return oldest first
   */
  public List<SharePeriod> shareHistory() {
    return shareHistory;
  }

  /**
   * Returns whether a sample ratio mismatch was found (promotion is held).
   *
   * @return whether flagged
   */
  public boolean srmFlagged() {
    return srmFlagged;
  }

  /**
   * Returns what concluded the experiment.
   *
   * @return a sentence, or empty while it runs
   */
  public Optional<String> outcome() {
    return Optional.ofNullable(outcome);
  }

  /**
   * Returns the revision this definition was read at in the registry.
   *
   * @return the revision, 0 before it is stored
   */
  public long revision() {
    return revision;
  }

  /**
   * Returns a variation's index.
   *
   * @param name a control or challenger name
   * @return its index, or -1
   */
  public int indexOf(String name) {
    for (int i = 0; i < variations.size(); i++) {
      if (variations.get(i).name().equals(name)) {
        return i;
      }
    }
    return -1;
  }

  /**
   * Returns a variation's share of all units now.
   *
   * @param name a control or challenger name
   * @return its share, 0 if unknown
   */
  public double share(String name) {
    int i = indexOf(name);
    return i < 0 ? 0 : allocation.share(i);
  }

  /** The shares in force at a revision. */
  double[] sharesAt(long rev) {
    double[] shares = null;
    for (SharePeriod p : shareHistory) {
      if (p.revision() <= rev) {
        shares = p.shares();
      }
    }
    return shares;
  }

  double[] currentShares() {
    double[] s = new double[variations.size()];
    for (int i = 0; i < s.length; i++) {
      s[i] = allocation.share(i);
    }
    return s;
  }

  // ------------------------------------------------------------------ changes (new revisions)

  /** With another allocation, recorded in the share history as of the next revision. */
  ExperimentDefinition withAllocation(Allocation a) {
    double[] shares = new double[variations.size()];
    for (int i = 0; i < shares.length; i++) {
      shares[i] = a.share(i);
    }
    List<SharePeriod> history = new ArrayList<>(shareHistory);
    history.add(new SharePeriod(revision + 1, shares));
    return new ExperimentDefinition(key, model, hashAttribute, coverage, variations, shadows, a, policy, bandit,
        decideEvery, status, stopped, history, srmFlagged, outcome, revision);
  }

  ExperimentDefinition withShadows(List<Shadow> newShadows) {
    return new ExperimentDefinition(key, model, hashAttribute, coverage, variations, newShadows, allocation, policy,
        bandit, decideEvery, status, stopped, shareHistory, srmFlagged, outcome, revision);
  }

  ExperimentDefinition withStatus(Status s, String why) {
    return copy(allocation, s, stopped, srmFlagged, why, revision);
  }

  ExperimentDefinition withStopped(String variant) {
    Set<String> s = new TreeSet<>(stopped);
    s.add(variant);
    return copy(allocation, status, s, srmFlagged, outcome, revision);
  }

  ExperimentDefinition withSrmFlagged(boolean flagged) {
    return copy(allocation, status, stopped, flagged, outcome, revision);
  }

  ExperimentDefinition atRevision(long rev) {
    return copy(allocation, status, stopped, srmFlagged, outcome, rev);
  }

  private ExperimentDefinition copy(Allocation a, Status s, Set<String> st, boolean srm, String out, long rev) {
    return new ExperimentDefinition(key, model, hashAttribute, coverage, variations, shadows, a, policy, bandit,
        decideEvery, s, st, shareHistory, srm, out, rev);
  }

  /**
   * Whether another definition is the same experiment: model, variants, seed, hash settings and
   * namespace. Shares, status and history may differ (they change while it runs).
   */
  boolean sameIdentity(ExperimentDefinition o) {
    return key.equals(o.key) && model.equals(o.model) && variations.equals(o.variations)
        && shadows.stream().map(Shadow::variant).toList().equals(o.shadows.stream().map(Shadow::variant).toList())
        && allocation.seed().equals(o.allocation.seed()) && allocation.hashVersion() == o.allocation.hashVersion()
        && allocation.namespace().equals(o.allocation.namespace());
  }

  /** What differs in identity, for an error message. */
  String identityDifference(ExperimentDefinition o) {
    List<String> d = new ArrayList<>();
    if (!model.equals(o.model)) {
      d.add("model " + o.model + " vs " + model);
    }
    if (!variations.equals(o.variations)) {
      d.add("variations " + o.variations + " vs " + variations);
    }
    if (!shadows.stream().map(Shadow::variant).toList().equals(o.shadows.stream().map(Shadow::variant).toList())) {
      d.add("shadows differ");
    }
    if (!allocation.seed().equals(o.allocation.seed()) || allocation.hashVersion() != o.allocation.hashVersion()) {
      d.add("seed or hash version differ");
    }
    if (!allocation.namespace().equals(o.allocation.namespace())) {
      d.add("namespace differs");
    }
    return String.join("; ", d);
  }

  @Override
  public String toString() {
    return "experiment '" + key + "' on " + model + " (rev " + revision + ", "
        + status.name().toLowerCase(java.util.Locale.ROOT) + "): " + shares();
  }

  /** The variants and their shares, for people. */
  String shares() {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < variations.size(); i++) {
      sb.append(i == 0 ? "" : ", ").append(variations.get(i).name()).append(' ')
          .append(String.format(java.util.Locale.ROOT, "%.2f%%", allocation.share(i) * 100));
    }
    for (Shadow s : shadows) {
      sb.append(", shadow ").append(s.variant().name()).append(' ')
          .append(String.format(java.util.Locale.ROOT, "%.0f%%", s.fraction() * 100));
    }
    return sb.toString();
  }
}
