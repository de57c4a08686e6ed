package io.modelplane.app;

import java.util.ArrayDeque;
import java.util.Deque;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * What a node closes once its actor system has terminated (pools, clients, the usage store), last
 * opened first. {@link Main.Node#stop} waits for it, so nothing touches the data directory after.
 */
final class Teardown {
  private static final Logger log = LoggerFactory.getLogger(Teardown.class);

  private final Deque<Runnable> steps = new ArrayDeque<>();

  synchronized void add(Runnable step) {
    steps.push(step);
  }

  synchronized void run() {
    while (!steps.isEmpty()) {
      try {
        steps.pop().run();
      } catch (RuntimeException e) {
        log.warn("closing after termination failed: {}", e.toString());
      }
    }
  }
}
