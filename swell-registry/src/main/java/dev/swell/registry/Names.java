package dev.swell.registry;

/**
 * Validates model and alias names, so that a crafted name can never read or write outside the
 * registry root: 1 to 128 characters of letters, digits, {@code .}, {@code _} and {@code -},
 * starting with a letter or digit (so never {@code .} or {@code ..}).
 */
final class Names {

  static final int MAX_LENGTH = 128;

  private Names() {}

  static String model(String name) {
    check(name, "model name");
    return name;
  }

  /** A version's folder name: short enough for every file system, checked before any copy. */
  static SemVer version(SemVer version) {
    String s = version.toString();
    if (s.length() > MAX_LENGTH) {
      throw new IllegalArgumentException("version '" + printable(s) + "' has " + s.length()
          + " characters; at most " + MAX_LENGTH + " fit a folder name on every file system");
    }
    return version;
  }

  static String experiment(String name) {
    check(name, "experiment key");
    return name;
  }

  static String alias(String name) {
    check(name, "alias");
    if (name.equals("latest") || name.equals("latest-stable") || Character.isDigit(name.charAt(0))) {
      throw new IllegalArgumentException("alias '" + name + "' could be read as a version selector; "
          + "an alias must not be 'latest', 'latest-stable' or start with a digit");
    }
    return name;
  }

  private static void check(String name, String what) {
    if (name == null) {
      throw new NullPointerException(what);
    }
    if (name.isEmpty() || name.length() > MAX_LENGTH) {
      throw new IllegalArgumentException(what + " must have 1 to " + MAX_LENGTH + " characters, '"
          + printable(name) + "' has " + name.length());
    }
    char first = name.charAt(0);
    if (!isAsciiLetterOrDigit(first)) {
      throw new IllegalArgumentException(what + " '" + printable(name)
          + "' must start with a letter or digit");
    }
    for (int i = 0; i < name.length(); i++) {
      char c = name.charAt(i);
      if (!isAsciiLetterOrDigit(c) && c != '.' && c != '_' && c != '-') {
        throw new IllegalArgumentException(what + " '" + printable(name) + "' has a character not "
            + "allowed at position " + i + " (allowed: letters, digits, '.', '_', '-')");
      }
    }
    char last = name.charAt(name.length() - 1);
    if (last == '.') {
      throw new IllegalArgumentException(what + " '" + name + "' ends with '.', which Windows drops from file names");
    }
    String stem = name.split("\\.", 2)[0].toUpperCase(java.util.Locale.ROOT);
    if (stem.matches("CON|PRN|AUX|NUL|COM[0-9]|LPT[0-9]")) {
      throw new IllegalArgumentException(what + " '" + name + "' is a device name on Windows ("
          + stem + "), which no folder there may have");
    }
  }

  private static boolean isAsciiLetterOrDigit(char c) {
    return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9');
  }

  /** The name with control characters escaped, for messages. */
  static String printable(String s) {
    StringBuilder sb = new StringBuilder();
    for (int i = 0; i < s.length() && i < 200; i++) {
      char c = s.charAt(i);
      if (c < 0x20 || c == 0x7f) {
        sb.append(String.format("\\u%04x", (int) c));
      } else {
        sb.append(c);
      }
    }
    return sb.toString();
  }
}
