package io.modelplane.api;

import java.net.InetAddress;
import java.util.concurrent.ConcurrentHashMap;

/**
 * The per-client connection cap: how many connections each client address holds open now, and
 * whether it may open one more. A client at its cap is refused, so one address cannot take the
 * connections every other client needs.
 */
public final class ClientConnections {
  private final int maxPerClient;
  private final ConcurrentHashMap<InetAddress, Integer> open = new ConcurrentHashMap<>();

  public ClientConnections(int maxPerClient) {
    if (maxPerClient < 1) {
      throw new IllegalArgumentException("max connections per client must be at least 1");
    }
    this.maxPerClient = maxPerClient;
  }

  /** Counts a new connection of {@code client} and returns true, or returns false (counting nothing) at its cap. */
  public boolean tryOpen(InetAddress client) {
    boolean[] admitted = {false};
    open.compute(client, (address, count) -> {
      int now = count == null ? 0 : count;
      if (now >= maxPerClient) {
        return count;
      }
      admitted[0] = true;
      return now + 1;
    });
    return admitted[0];
  }

  /** A connection admitted by {@link #tryOpen} has closed. */
  public void closed(InetAddress client) {
    open.computeIfPresent(client, (address, count) -> count <= 1 ? null : count - 1);
  }

  /** Connections {@code client} holds open now. */
  public int openBy(InetAddress client) {
    return open.getOrDefault(client, 0);
  }
}
