package dev.swell.abtest;

import static org.assertj.core.api.Assertions.assertThat;

import dev.swell.abtest.stats.Summary;
import dev.swell.api.VersionSelector;
import java.util.LinkedHashMap;
import java.util.Map;
import org.junit.jupiter.api.DisplayName;
import org.junit.jupiter.api.Test;

/** The pure decision function on hand-made totals: no runtime, no registry. */
class DecisionsTest {

  private static ExperimentDefinition definition(DecisionPolicy policy, double... shares) {
    Experiment.Builder b = Experiment.builder("exp").model("m").control(VersionSelector.alias("production"))
        .policy(policy);
    for (int i = 0; i < shares.length; i++) {
      b.challenger("c" + (i + 1), VersionSelector.exact("1." + (i + 1) + ".0"), shares[i]);
    }
    return b.definition().atRevision(1);
  }

  private static VariantTotals requests(long n, long errors, Summary.Snapshot latency) {
    return new VariantTotals(n, errors, 0, latency, Map.of(), Map.of(), 0, 0);
  }

  private static VariantTotals metric(long n, String metric, double mean, double variance) {
    return new VariantTotals(n, 0, 0, new Summary.Snapshot(n, 100, 25), Map.of(),
        Map.of(metric, new Summary.Snapshot(n, mean, variance)), 0, 0);
  }

  private static Exposures units(long... perVariation) {
    return new Exposures(Map.of(1L, perVariation));
  }

  @Test
  @DisplayName("error guardrail: a challenger is rolled back only when its increase is above the margin, with confidence")
  void errorGuardrailIsOneSidedAgainstTheMargin() {
    ExperimentDefinition def = definition(DecisionPolicy.maximize("conv").maxErrorRateIncrease(0.01).build(), 0.5);
    Summary.Snapshot lat = new Summary.Snapshot(3000, 100, 25);
    // 1.0% against 2.1%: the difference (1.1 points) is above the 1-point margin and "not 0" at p = 0.001,
    // which the old rule (difference > margin and p(difference != 0) < alpha) rolled back; but it is not
    // confidently above the margin, so the challenger stays.
    Map<String, VariantTotals> close = Map.of("control", requests(3000, 30, lat), "c1", requests(3000, 63, lat));
    Decision d = Decisions.decide(def, close, units(3000, 3000), 0);
    assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.CONTINUE);
    assertThat(d.figures().get(1).errorIncreaseLowerBound()).isLessThan(0.01).isGreaterThan(0);
    // 1% against 5%: confidently more than a point worse
    Map<String, VariantTotals> bad = Map.of("control", requests(3000, 30, lat), "c1", requests(3000, 150, lat));
    Decision r = Decisions.decide(def, bad, units(3000, 3000), 0);
    assertThat(r.kind()).isEqualTo(Decision.Kind.ROLLBACK);
    assertThat(r.variant()).isEqualTo("c1");
    assertThat(r.reason()).contains("error rate 0.0500").contains("above 0.0100");
    // a control without any error is no obstacle: 0% against 5% is rolled back
    Map<String, VariantTotals> zero = Map.of("control", requests(3000, 0, lat), "c1", requests(3000, 150, lat));
    assertThat(Decisions.decide(def, zero, units(3000, 3000), 0).kind()).isEqualTo(Decision.Kind.ROLLBACK);
  }

  @Test
  void aBetterChallengerIsPromotedAndAWorseOneRolledBack() {
    ExperimentDefinition def = definition(DecisionPolicy.maximize("conv").build(), 0.5);
    Map<String, VariantTotals> better = Map.of("control", metric(20000, "conv", 0.10, 0.09),
        "c1", metric(20000, "conv", 0.12, 0.1056));
    Decision d = Decisions.decide(def, better, units(20000, 20000), 0);
    assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.PROMOTE);
    assertThat(d.figures().get(1).effect().lower()).isPositive();
    Map<String, VariantTotals> worse = Map.of("control", metric(20000, "conv", 0.12, 0.1056),
        "c1", metric(20000, "conv", 0.10, 0.09));
    assertThat(Decisions.decide(def, worse, units(20000, 20000), 0).kind()).isEqualTo(Decision.Kind.ROLLBACK);
    Map<String, VariantTotals> early = Map.of("control", metric(50, "conv", 0.1, 0.09), "c1", metric(50, "conv", 0.3, 0.21));
    Decision e = Decisions.decide(def, early, units(50, 50), 0);
    assertThat(e.kind()).isEqualTo(Decision.Kind.CONTINUE);
    assertThat(e.reason()).contains("50 and 50 of 100 samples");
  }

  @Test
  @DisplayName("a sample ratio mismatch holds a promotion")
  void srmHoldsPromotion() {
    ExperimentDefinition def = definition(DecisionPolicy.maximize("conv").build(), 0.5);
    Map<String, VariantTotals> better = Map.of("control", metric(20000, "conv", 0.10, 0.09),
        "c1", metric(20000, "conv", 0.12, 0.1056));
    Decision d = Decisions.decide(def, better, units(51_000, 49_000), 0);
    assertThat(d.kind()).as(d.reason()).isEqualTo(Decision.Kind.HOLD);
    assertThat(d.srmPValue()).isLessThan(0.001);
    assertThat(d.reason()).contains("sample ratio mismatch").contains("c1");
    assertThat(Decisions.decide(def, better, units(50_100, 49_900), 0).kind()).isEqualTo(Decision.Kind.PROMOTE);
  }

  @Test
  @DisplayName("the sample-ratio check expects each revision's shares: a ramp is not a mismatch")
  void srmFollowsRamps() {
    ExperimentDefinition def = definition(DecisionPolicy.maximize("conv").build(), 0.1);
    ExperimentDefinition ramped = def.withAllocation(def.allocation().ramp(1, 0.5)).atRevision(2);
    Exposures e = new Exposures(Map.of(1L, new long[] {9000, 1000}, 2L, new long[] {5000, 5000}));
    assertThat(Decisions.srm(ramped, e)).isGreaterThan(0.5);
    Exposures wrong = new Exposures(Map.of(1L, new long[] {5000, 5000}, 2L, new long[] {5000, 5000}));
    assertThat(Decisions.srm(ramped, wrong)).isLessThan(1e-6);
  }

  @Test
  void bonferroniOverChallengers() {
    ExperimentDefinition one = definition(DecisionPolicy.maximize("conv").test(DecisionPolicy.Test.FIXED_HORIZON).build(), 0.5);
    ExperimentDefinition two = definition(DecisionPolicy.maximize("conv").test(DecisionPolicy.Test.FIXED_HORIZON).build(), 0.3, 0.3);
    // a difference significant at 0.05 but not at 0.025: p about 0.03
    Map<String, VariantTotals> t = new LinkedHashMap<>();
    t.put("control", metric(2000, "conv", 10.0, 4));
    t.put("c1", metric(2000, "conv", 10.137, 4));
    t.put("c2", metric(2000, "conv", 10.0, 4));
    assertThat(Decisions.decide(one, t, Exposures.NONE, 0).kind()).isEqualTo(Decision.Kind.PROMOTE);
    assertThat(Decisions.decide(two, t, Exposures.NONE, 0).kind()).isEqualTo(Decision.Kind.CONTINUE);
  }

  @Test
  @DisplayName("a bandit's weights are a pure function of data and period, within floor and ceiling")
  void bandit() {
    ExperimentDefinition def = Experiment.builder("bandit").model("m").control(VersionSelector.alias("production"))
        .challenger("a", VersionSelector.exact("1.1.0"), 1.0 / 3).challenger("b", VersionSelector.exact("1.2.0"), 1.0 / 3)
        .policy(DecisionPolicy.maximize("conv").build()).bandit(BanditPolicy.every(java.time.Duration.ofMinutes(1))
            .floor(0.05).build()).definition().atRevision(1);
    Map<String, VariantTotals> t = Map.of("control", metric(500, "conv", 0.10, 0.09), "a", metric(500, "conv", 0.13, 0.11),
        "b", metric(500, "conv", 0.20, 0.16));
    Decision d1 = Decisions.decide(def, t, Exposures.NONE, 7);
    Decision d2 = Decisions.decide(def, t, Exposures.NONE, 7);
    assertThat(d1.kind()).isEqualTo(Decision.Kind.REWEIGHT);
    assertThat(d1.weights()).containsExactly(d2.weights());
    double[] w = d1.weights();
    assertThat(w[0] + w[1] + w[2]).isCloseTo(1, org.assertj.core.data.Offset.offset(1e-9));
    assertThat(w[2]).as("the best arm gets most").isGreaterThan(0.8);
    assertThat(w[0]).isGreaterThanOrEqualTo(0.05 - 1e-12);
    Map<String, VariantTotals> young = Map.of("control", metric(50, "conv", 0.1, 0.09), "a", metric(500, "conv", 0.1, 0.09),
        "b", metric(500, "conv", 0.2, 0.16));
    assertThat(Decisions.decide(def, young, Exposures.NONE, 7).reason()).contains("burn-in");
  }
}
