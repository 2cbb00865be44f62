package dev.swell.registry;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.TreeMap;
import java.util.function.Function;

/** Versions' lineage (parents recorded in manifests) and the differences between two versions. */
final class Lineage {

  private Lineage() {}

  /** Parents, grandparents, ... of a version, nearest first, while they exist ({@code manifests} gives null for a gone one). */
  static List<SemVer> ancestors(Manifest of, Function<SemVer, Manifest> manifests) {
    List<SemVer> out = new ArrayList<>();
    Set<SemVer> seen = new HashSet<>();
    SemVer at = of.parent();
    Manifest m;
    while (at != null && seen.add(at) && (m = manifests.apply(at)) != null) {
      out.add(at);
      at = m.parent();
    }
    return out;
  }

  /** The versions (in the map's order) derived, directly or not, from a version; cycles are cut. */
  static List<SemVer> descendants(Map<SemVer, SemVer> parents, SemVer version) {
    List<SemVer> out = new ArrayList<>();
    for (SemVer v : parents.keySet()) {
      Set<SemVer> seen = new HashSet<>();
      SemVer at = parents.get(v);
      while (at != null && seen.add(at)) {
        if (at.equals(version)) {
          out.add(v);
          break;
        }
        at = parents.get(at);
      }
    }
    return out;
  }

  /** Metric deltas, tag changes, added, removed and changed files from {@code a} to {@code b}. */
  static VersionDiff diff(String model, SemVer from, SemVer to, Manifest a, Manifest b) {
    Map<String, Double> deltas = new TreeMap<>();
    List<String> onlyA = new ArrayList<>();
    List<String> onlyB = new ArrayList<>();
    for (var e : new TreeMap<>(a.metrics()).entrySet()) {
      Double other = b.metrics().get(e.getKey());
      if (other == null) {
        onlyA.add(e.getKey());
      } else {
        deltas.put(e.getKey(), other - e.getValue());
      }
    }
    for (String k : new TreeMap<>(b.metrics()).keySet()) {
      if (!a.metrics().containsKey(k)) {
        onlyB.add(k);
      }
    }
    Map<String, List<String>> tagChanges = new TreeMap<>();
    Set<String> tagKeys = new HashSet<>(a.tags().keySet());
    tagKeys.addAll(b.tags().keySet());
    for (String k : tagKeys) {
      if (!Objects.equals(a.tags().get(k), b.tags().get(k))) {
        tagChanges.put(k, Collections.unmodifiableList(Arrays.asList(a.tags().get(k), b.tags().get(k))));
      }
    }
    Map<String, String> filesA = new TreeMap<>();
    a.files().forEach(f -> filesA.put(f.path(), f.sha256()));
    Map<String, String> filesB = new TreeMap<>();
    b.files().forEach(f -> filesB.put(f.path(), f.sha256()));
    List<String> added = new ArrayList<>();
    List<String> removed = new ArrayList<>();
    List<String> changed = new ArrayList<>();
    for (var e : filesB.entrySet()) {
      String old = filesA.get(e.getKey());
      if (old == null) {
        added.add(e.getKey());
      } else if (!old.equals(e.getValue())) {
        changed.add(e.getKey());
      }
    }
    for (String k : filesA.keySet()) {
      if (!filesB.containsKey(k)) {
        removed.add(k);
      }
    }
    return new VersionDiff(model, from, to, Collections.unmodifiableMap(deltas), List.copyOf(onlyA),
        List.copyOf(onlyB), Collections.unmodifiableMap(tagChanges), List.copyOf(added), List.copyOf(removed),
        List.copyOf(changed));
  }
}
