package dev.swell.abtest;

/**
 * A set of 64-bit unit hashes, striped 16 ways so that request threads rarely wait on each other:
 * open addressing, grown at half full. About 32 bytes per unit.
 */
final class UnitSet {

  private static final int STRIPES = 16;
  private final Stripe[] stripes = new Stripe[STRIPES];

  UnitSet() {
    for (int i = 0; i < STRIPES; i++) {
      stripes[i] = new Stripe();
    }
  }

  /** Adds a hash; true if it was not there. */
  boolean add(long hash) {
    long h = hash == 0 ? 1 : hash;
    return stripes[(int) (h >>> 60)].add(h);
  }

  long size() {
    long n = 0;
    for (Stripe s : stripes) {
      synchronized (s) {
        n += s.size;
      }
    }
    return n;
  }

  /** 64 bits of a unit key: FNV-1a over its UTF-16 units, then SplitMix64's finalizer. */
  static long hash(String unit) {
    long h = 0xcbf29ce484222325L;
    for (int i = 0, n = unit.length(); i < n; i++) {
      h ^= unit.charAt(i);
      h *= 0x100000001b3L;
    }
    h ^= h >>> 30;
    h *= 0xbf58476d1ce4e5b9L;
    h ^= h >>> 27;
    h *= 0x94d049bb133111ebL;
    return h ^ (h >>> 31);
  }

  private static final class Stripe {
    long[] table = new long[64];
    int size;

    synchronized boolean add(long h) {
      int mask = table.length - 1;
      int i = (int) (h ^ (h >>> 32)) & mask;
      while (table[i] != 0) {
        if (table[i] == h) {
          return false;
        }
        i = (i + 1) & mask;
      }
      table[i] = h;
      if (++size * 2 > table.length) {
        grow();
      }
      return true;
    }

    private void grow() {
      long[] old = table;
      table = new long[old.length * 2];
      int mask = table.length - 1;
      for (long h : old) {
        if (h != 0) {
          int i = (int) (h ^ (h >>> 32)) & mask;
          while (table[i] != 0) {
            i = (i + 1) & mask;
          }
          table[i] = h;
        }
      }
    }
  }
}
