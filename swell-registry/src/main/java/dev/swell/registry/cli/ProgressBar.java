package dev.swell.registry.cli;

import dev.swell.registry.PublishRequest;
import java.io.PrintStream;

/**
 * Shows copy-and-hash progress on the error stream for artifacts of 8 MiB or more: a redrawn bar
 * on a terminal, a line every 10% otherwise.
 */
final class ProgressBar implements PublishRequest.Progress {

  private static final long MIN_SIZE = 8L << 20;

  private final PrintStream err;
  private final boolean terminal = System.console() != null;
  private int lastShown = -1;

  ProgressBar(PrintStream err) {
    this.err = err;
  }

  @Override
  public void update(long done, long total) {
    if (total < MIN_SIZE) {
      return;
    }
    int percent = (int) (done * 100 / total);
    int step = terminal ? percent : percent / 10 * 10;
    if (step == lastShown) {
      return;
    }
    lastShown = step;
    String text = String.format("copying and hashing %,d of %,d MiB (%d%%)", done >> 20, total >> 20, percent);
    if (terminal) {
      err.print("\r" + text + (done == total ? "\n" : ""));
    } else {
      err.println(text);
    }
    err.flush();
  }
}
