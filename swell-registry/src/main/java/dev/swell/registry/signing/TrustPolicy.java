package dev.swell.registry.signing;

import java.security.PublicKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Which public keys a registry trusts to sign which models. A model that any key applies to (a
 * global key, or one of its own) is protected: its versions are served only with a valid
 * signature by one of those keys over exactly the files present. Other models are served
 * unsigned, as before. Keys come from the service's configuration, never from the registry
 * folder, so that whoever can write the folder cannot also choose the keys.
 *
 * <pre>{@code
 * TrustPolicy policy = TrustPolicy.builder()
 *     .trust(SigningKeys.readPublicKey(Path.of("/etc/swell/release.pub.pem")))
 *     .build();
 * FileModelRegistry registry = FileModelRegistry.builder(root).trustPolicy(policy).build();
 * }</pre>
 */
public final class TrustPolicy {

  /** Trusts no key and requires no signature. */
  public static final TrustPolicy NONE = new TrustPolicy(List.of(), Map.of());

  private final List<PublicKey> global;
  private final Map<String, List<PublicKey>> perModel;

  private TrustPolicy(List<PublicKey> global, Map<String, List<PublicKey>> perModel) {
    this.global = List.copyOf(global);
    Map<String, List<PublicKey>> m = new LinkedHashMap<>();
    perModel.forEach((k, v) -> m.put(k, List.copyOf(v)));
    this.perModel = Map.copyOf(m);
  }

  /**
   * Starts a policy.
   *
   * @return a builder
   */
  public static Builder builder() {
    return new Builder();
  }

  /**
   * Whether the model's versions must be signed.
   *
   * @param model the model
   * @return true if a key applies to it
   */
  public boolean requiresSignature(String model) {
    return !keysFor(model).isEmpty();
  }

  /**
   * The keys trusted for a model: the global ones and its own.
   *
   * @param model the model
   * @return the keys, possibly empty
   */
  public List<PublicKey> keysFor(String model) {
    List<PublicKey> own = perModel.getOrDefault(model, List.of());
    if (own.isEmpty()) {
      return global;
    }
    List<PublicKey> all = new ArrayList<>(global);
    all.addAll(own);
    return all;
  }

  @Override
  public String toString() {
    return "TrustPolicy[global=" + global.stream().map(SigningKeys::hint).map(h -> h.substring(0, 12)).toList()
        + ", models=" + perModel.keySet() + "]";
  }

  /** Builds a {@link TrustPolicy}. */
  public static final class Builder {
    private final List<PublicKey> global = new ArrayList<>();
    private final Map<String, List<PublicKey>> perModel = new LinkedHashMap<>();

    private Builder() {}

    /**
     * Trusts keys for every model (and so requires every model to be signed).
     *
     * @param keys EC public keys
     * @return this builder
     */
    public Builder trust(PublicKey... keys) {
      for (PublicKey k : keys) {
        SigningKeys.curve(Objects.requireNonNull(k, "key"), "a trusted key");
        global.add(k);
      }
      return this;
    }

    /**
     * Trusts keys for one model (and so requires that model to be signed).
     *
     * @param model the model
     * @param keys EC public keys
     * @return this builder
     */
    public Builder trust(String model, PublicKey... keys) {
      Objects.requireNonNull(model, "model");
      for (PublicKey k : keys) {
        SigningKeys.curve(Objects.requireNonNull(k, "key"), "a trusted key");
        perModel.computeIfAbsent(model, m -> new ArrayList<>()).add(k);
      }
      return this;
    }

    /**
     * Builds the policy.
     *
     * @return the policy
     */
    public TrustPolicy build() {
      return new TrustPolicy(global, perModel);
    }
  }
}
