package dev.swell.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.swell.api.ModelNotFoundException;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Deque;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import net.jqwik.api.Arbitraries;
import net.jqwik.api.Arbitrary;
import net.jqwik.api.Combinators;
import net.jqwik.api.ForAll;
import net.jqwik.api.Property;
import net.jqwik.api.Provide;
import net.jqwik.api.state.Action;
import net.jqwik.api.state.ActionChain;
import net.jqwik.api.state.Transformer;

/**
 * Random sequences of publish, alias, rollback, gc and reopen, run against the real registry and
 * against a plain in-memory model of it; after every step they must agree, every alias must point
 * at a complete version whose bytes are the ones published, and the event log must parse.
 */
class RegistryStatefulPropertiesTest {

  static final String MODEL = "m";
  static final List<String> ALIASES = List.of("production", "staging");

  /** The registry under test beside the model it must agree with. */
  static final class World {
    final Path root;
    FileModelRegistry registry;
    // the model
    final Map<SemVer, byte[]> contents = new HashMap<>();
    final Map<SemVer, SemVer> parents = new HashMap<>();
    final Map<String, SemVer> targets = new TreeMap<>();
    final Map<String, Deque<SemVer>> stacks = new HashMap<>();
    int published;
    /** Every version ever published, deleted ones included: their numbers are never given again. */
    final java.util.Set<SemVer> ever = new java.util.HashSet<>();

    World() {
      try {
        root = Files.createTempDirectory("swell-stateful");
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      registry = FileModelRegistry.open(root);
    }

    SemVer latest() {
      return contents.keySet().stream().max(SemVer.TOTAL_ORDER).orElse(null);
    }

    void publish(PublishRequest.Bump bump, boolean withParent, int size) {
      byte[] data = new byte[size];
      Arrays.fill(data, (byte) published);
      data[0] = (byte) (published >> 8);
      published++;
      Path f = root.resolve("input.bin");
      try {
        Files.write(f, data);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
      SemVer base = latest() == null ? SemVer.of(0, 0, 0) : latest();
      SemVer expected = base;
      do { // bumping past numbers taken now or ever
        expected = bump == PublishRequest.Bump.MAJOR ? expected.bumpMajor()
            : bump == PublishRequest.Bump.MINOR ? expected.bumpMinor() : expected.bumpPatch();
      } while (ever.contains(expected));
      PublishRequest.Builder b = PublishRequest.builder(MODEL).file(f).format("bin").bump(bump);
      if (withParent) {
        b.parentIsLatest();
      }
      Manifest m = registry.publish(b.build());
      assertThat(m.version()).isEqualTo(expected);
      assertThat(ever.add(expected)).as("a version number given twice").isTrue();
      contents.put(expected, data);
      parents.put(expected, withParent ? latestBefore(expected) : null);
    }

    private SemVer latestBefore(SemVer v) {
      return contents.keySet().stream().filter(x -> !x.equals(v)).max(SemVer.TOTAL_ORDER).orElse(null);
    }

    void setAlias(String alias, SemVer v) {
      SemVer before = registry.setAlias(MODEL, v, alias);
      assertThat(before).isEqualTo(targets.get(alias));
      if (before != null && !before.equals(v)) {
        Deque<SemVer> stack = stacks.computeIfAbsent(alias, a -> new ArrayDeque<>());
        stack.addLast(before);
        while (stack.size() > 10) {
          stack.removeFirst();
        }
      }
      targets.put(alias, v);
    }

    void rollback(String alias) {
      if (published == 0) { // a model never published has no folder, and a command on it creates none
        assertThatThrownBy(() -> registry.rollback(MODEL, alias)).isInstanceOf(ModelNotFoundException.class);
        return;
      }
      if (!targets.containsKey(alias)) { // an alias never set is not found
        assertThatThrownBy(() -> registry.rollback(MODEL, alias)).isInstanceOf(ModelNotFoundException.class)
            .hasMessageContaining("no alias '" + alias + "'");
        return;
      }
      Deque<SemVer> stack = stacks.getOrDefault(alias, new ArrayDeque<>());
      if (stack.isEmpty()) { // one that has nothing earlier conflicts
        assertThatThrownBy(() -> registry.rollback(MODEL, alias)).isInstanceOf(RegistryConflictException.class)
            .hasMessageContaining("no earlier target");
        return;
      }
      SemVer back = stack.removeLast();
      assertThat(registry.rollback(MODEL, alias)).isEqualTo(back);
      targets.put(alias, back);
    }

    void gc(int keepLast, boolean deleteAncestors) {
      if (published == 0) {
        assertThatThrownBy(() -> registry.gc(MODEL, RetentionPolicy.keepLast(keepLast)))
            .isInstanceOf(ModelNotFoundException.class);
        assertThat(registry.models()).isEmpty();
        return;
      }
      List<SemVer> newest = new ArrayList<>(contents.keySet());
      newest.sort(SemVer.TOTAL_ORDER.reversed());
      Set<SemVer> keep = new HashSet<>(newest.subList(0, Math.min(keepLast, newest.size())));
      Set<SemVer> pinned = new HashSet<>(targets.values());
      stacks.values().forEach(pinned::addAll);
      keep.addAll(pinned);
      if (!deleteAncestors) {
        for (SemVer v : pinned) {
          for (SemVer p = parents.get(v); p != null && contents.containsKey(p); p = parents.get(p)) {
            keep.add(p);
          }
        }
      }
      List<SemVer> expected = newest.stream().filter(v -> !keep.contains(v)).toList();
      RetentionPolicy policy = RetentionPolicy.keepLast(keepLast).withStagingMaxAge(Duration.ZERO);
      List<SemVer> deleted = registry.gc(MODEL, deleteAncestors ? policy.deletingAncestors() : policy);
      assertThat(deleted).isEqualTo(expected);
      expected.forEach(contents::remove);
    }

    void reopen() {
      registry = FileModelRegistry.open(root);
    }

    void checkInvariants() throws IOException {
      List<SemVer> expectedVersions = new ArrayList<>(contents.keySet());
      expectedVersions.sort(SemVer.TOTAL_ORDER.reversed());
      assertThat(registry.versions(MODEL)).isEqualTo(expectedVersions);
      assertThat(registry.aliases(MODEL)).isEqualTo(targets);
      for (SemVer v : targets.values()) {
        ModelVersion mv = registry.open(MODEL, v);
        assertThat(Files.readAllBytes(mv.primaryFile())).isEqualTo(contents.get(v));
      }
      for (SemVer v : expectedVersions) {
        assertThat(registry.manifest(MODEL, v).parent()).isEqualTo(parents.get(v));
      }
      assertThat(registry.events(MODEL)).filteredOn(e -> e.type() == RegistryEvent.Type.PUBLISHED)
          .hasSize(published);
    }

    @Override
    public String toString() {
      return "World" + targets + " versions=" + contents.keySet();
    }
  }

  @Property(tries = 60)
  void registryAgreesWithModel(@ForAll("chains") ActionChain<World> chain) {
    World last = chain.withInvariant(w -> {
      try {
        w.checkInvariants();
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }).run();
    FsOps.deleteRecursively(last.root);
  }

  @Provide
  Arbitrary<ActionChain<World>> chains() {
    return ActionChain.startWith(World::new)
        .withAction(3, new Publish())
        .withAction(3, new SetAlias())
        .withAction(1, new Rollback())
        .withAction(1, new Gc())
        .withAction(1, new Reopen())
        .withMaxTransformations(25);
  }

  static final class Publish implements Action.Independent<World> {
    @Override
    public Arbitrary<Transformer<World>> transformer() {
      return Combinators.combine(Arbitraries.of(PublishRequest.Bump.class), Arbitraries.of(true, false),
          Arbitraries.integers().between(1, 3000))
          .as((bump, parent, size) -> Transformer.mutate("publish " + bump + (parent ? " with parent" : "")
              + " of " + size + " bytes", w -> w.publish(bump, parent, size)));
    }
  }

  static final class SetAlias implements Action.Dependent<World> {
    @Override
    public boolean precondition(World w) {
      return !w.contents.isEmpty();
    }

    @Override
    public Arbitrary<Transformer<World>> transformer(World w) {
      return Combinators.combine(Arbitraries.of(ALIASES), Arbitraries.of(new ArrayList<>(w.contents.keySet())))
          .as((alias, v) -> Transformer.mutate("alias " + alias + " -> " + v, x -> x.setAlias(alias, v)));
    }
  }

  static final class Rollback implements Action.Independent<World> {
    @Override
    public Arbitrary<Transformer<World>> transformer() {
      return Arbitraries.of(ALIASES).map(a -> Transformer.mutate("rollback " + a, w -> w.rollback(a)));
    }
  }

  static final class Gc implements Action.Independent<World> {
    @Override
    public Arbitrary<Transformer<World>> transformer() {
      return Combinators.combine(Arbitraries.integers().between(0, 3), Arbitraries.of(true, false))
          .as((n, anc) -> Transformer.mutate("gc keep " + n + (anc ? " deleting ancestors" : ""),
              w -> w.gc(n, anc)));
    }
  }

  static final class Reopen implements Action.Independent<World> {
    @Override
    public Arbitrary<Transformer<World>> transformer() {
      return Arbitraries.just(Transformer.mutate("reopen", World::reopen));
    }
  }
}
