package io.modelplane.bench;

/** Progress lines on stderr, stamped with the seconds since the run started (stdout carries the table). */
final class Reporter {

  private final long start = System.nanoTime();

  void progress(String line) {
    System.err.printf("[%6.1fs] %s%n", (System.nanoTime() - start) / 1e9, line);
    System.err.flush();
  }
}
