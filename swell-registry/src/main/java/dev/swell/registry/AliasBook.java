package dev.swell.registry;

import java.util.List;
import java.util.Map;

/**
 * The aliases of one model, as stored in its {@code aliases.json}: each alias's target, the stack
 * of earlier targets that rollback returns to, and the full history of moves.
 */
record AliasBook(Map<String, Entry> entries) {

  /** How many earlier targets an alias remembers for rollback. */
  static final int ROLLBACK_DEPTH = 10;

  static final AliasBook EMPTY = new AliasBook(Map.of());

  AliasBook {
    entries = Map.copyOf(entries);
  }

  /** One alias: its target, earlier targets (most recent last), and its history. */
  record Entry(SemVer target, List<SemVer> stack, List<AliasMove> history) {
    Entry {
      stack = List.copyOf(stack);
      history = List.copyOf(history);
    }
  }
}
