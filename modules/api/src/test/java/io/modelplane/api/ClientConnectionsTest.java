package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class ClientConnectionsTest {
  private final InetAddress a = InetAddress.getLoopbackAddress();
  private final InetAddress b = address("127.0.0.2");

  private static InetAddress address(String text) {
    try {
      return InetAddress.getByName(text);
    } catch (java.net.UnknownHostException e) {
      throw new AssertionError(e);
    }
  }

  @Test
  void aClientAtItsCapIsRefusedWhileOthersAreNot() {
    ClientConnections connections = new ClientConnections(2);
    assertThat(connections.tryOpen(a)).isTrue();
    assertThat(connections.tryOpen(a)).isTrue();
    assertThat(connections.tryOpen(a)).isFalse();
    assertThat(connections.openBy(a)).isEqualTo(2);
    assertThat(connections.tryOpen(b)).isTrue();
  }

  @Test
  void aClosedConnectionMakesRoomAndTheCountGoesBackToZero() {
    ClientConnections connections = new ClientConnections(1);
    assertThat(connections.tryOpen(a)).isTrue();
    assertThat(connections.tryOpen(a)).isFalse();
    connections.closed(a);
    assertThat(connections.openBy(a)).isZero();
    assertThat(connections.tryOpen(a)).isTrue();
    connections.closed(a);
    connections.closed(a); // a stray close never goes below zero
    assertThat(connections.openBy(a)).isZero();
  }
}
