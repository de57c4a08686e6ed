package io.modelplane.common;

import java.util.concurrent.ThreadFactory;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Daemon threads with a name saying what they do, for the few executors that must stay plain JDK
 * ones (a library's own pool, code without an actor system); everything else runs on a configured
 * Akka dispatcher.
 */
public final class NamedThreads {
  private NamedThreads() {}

  /** Threads named {@code name}, {@code name-2}, {@code name-3}, …; daemons, so they never hold the JVM up. */
  public static ThreadFactory daemon(String name) {
    AtomicInteger count = new AtomicInteger();
    return runnable -> {
      int n = count.incrementAndGet();
      Thread thread = new Thread(runnable, n == 1 ? name : name + "-" + n);
      thread.setDaemon(true);
      return thread;
    };
  }
}
