package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.AbstractActor;
import akka.actor.ActorSystem;
import akka.actor.Address;
import akka.actor.Props;
import akka.cluster.Cluster;
import akka.cluster.Member;
import akka.cluster.MemberStatus;
import akka.pattern.Patterns;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.testing.TestCertificates;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Akka remoting over mutual TLS with the settings a node derives from MODELPLANE_CLUSTER_TLS_*: real
 * handshakes between actor systems on loopback. Only a node whose certificate comes from the cluster CA
 * joins; one with a foreign CA's certificate, or without TLS, never becomes a member and reaches no actor.
 */
class ClusterTlsTest {
  /** Every cluster certificate names this too: Akka accepts a peer only if it shares a subject name. */
  static final String CLUSTER_NAME = "modelplane-cluster";

  @TempDir
  Path dir;
  private final List<ActorSystem> systems = new ArrayList<>();

  @AfterEach
  void stop() throws Exception {
    for (ActorSystem system : systems) {
      system.terminate();
    }
    for (ActorSystem system : systems) {
      system.getWhenTerminated().toCompletableFuture().get(20, TimeUnit.SECONDS);
    }
  }

  /** The cluster TLS settings of a node holding {@code cert} and trusting {@code ca}, as files. */
  static Map<String, Object> clusterTls(Path dir, String node, TestCertificates.Issued ca,
      TestCertificates.Issued cert) {
    Path crt = dir.resolve(node + ".crt");
    Path key = dir.resolve(node + ".key");
    Path caFile = dir.resolve(node + "-ca.crt");
    cert.writePem(crt, key);
    ca.writeCertificate(caFile);
    return Map.of("modelplane.tls.cluster.cert", crt.toString(), "modelplane.tls.cluster.key", key.toString(),
        "modelplane.tls.cluster.ca", caFile.toString());
  }

  private ActorSystem start(Map<String, Object> tls) {
    Map<String, Object> settings = new HashMap<>(tls);
    settings.put("akka.remote.artery.canonical.hostname", "127.0.0.1");
    settings.put("akka.remote.artery.canonical.port", 0);
    settings.put("akka.cluster.jmx.multi-mbeans-in-same-jvm", "on");
    settings.put("akka.loglevel", "WARNING");
    settings.put("akka.coordinated-shutdown.exit-jvm", "off");
    settings.put("akka.coordinated-shutdown.run-by-actor-system-terminate", "off"); // no graceful leave: a quick end
    Config base = ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load());
    Config config = ConfigFactory.parseMap(NodeTls.fromConfig(base).akkaSettings()).withFallback(base);
    ActorSystem system = ActorSystem.create("modelplane", config);
    systems.add(system);
    return system;
  }

  static final class Echo extends AbstractActor {
    @Override
    public Receive createReceive() {
      return receiveBuilder().matchAny(m -> getSender().tell("echo:" + m, getSelf())).build();
    }
  }

  private static List<Address> up(ActorSystem system) {
    List<Address> up = new ArrayList<>();
    for (Member m : Cluster.get(system).state().getMembers()) {
      if (m.status() == MemberStatus.up()) {
        up.add(m.address());
      }
    }
    return up;
  }

  private static Object ask(ActorSystem from, ActorSystem to, Duration timeout) throws Exception {
    Address address = Cluster.get(to).selfAddress();
    return Patterns.ask(from.actorSelection(address + "/user/echo"), "hello", timeout).toCompletableFuture()
        .get(timeout.toMillis() + 1000, TimeUnit.MILLISECONDS);
  }

  @Test
  void nodesWithCertificatesFromTheClusterCaFormAClusterAndOthersAreRefused() throws Exception {
    TestCertificates.Issued ca = TestCertificates.authority("cluster-ca");
    ActorSystem first = start(clusterTls(dir, "first", ca, ca.issue("node-1", "RSA", CLUSTER_NAME)));
    assertThat(first.settings().config().getString("akka.remote.artery.transport")).isEqualTo("tls-tcp");
    first.actorOf(Props.create(Echo.class), "echo");
    Cluster.get(first).join(Cluster.get(first).selfAddress());
    ActorSystem second = start(clusterTls(dir, "second", ca, ca.issue("node-2", "RSA", CLUSTER_NAME)));
    Cluster.get(second).join(Cluster.get(first).selfAddress());
    TestNodes.eventually(Duration.ofSeconds(20), () -> up(first).size() == 2 && up(second).size() == 2,
        "two members up");
    assertThat(ask(second, first, Duration.ofSeconds(5))).isEqualTo("echo:hello");

    // a certificate with the right name from another CA, and a node with no TLS at all
    TestCertificates.Issued foreignCa = TestCertificates.authority("cluster-ca");
    ActorSystem foreign = start(clusterTls(dir, "foreign", foreignCa, foreignCa.issue("node-3", "RSA", CLUSTER_NAME)));
    ActorSystem plain = start(Map.of());
    assertThat(plain.settings().config().getString("akka.remote.artery.transport")).isEqualTo("tcp");
    // one that trusts the cluster CA but shows a foreign certificate: the others must refuse it
    ActorSystem impostor = start(clusterTls(dir, "impostor", ca, foreignCa.issue("node-4", "RSA", CLUSTER_NAME)));
    for (ActorSystem outsider : List.of(foreign, plain, impostor)) {
      Cluster.get(outsider).join(Cluster.get(first).selfAddress());
    }
    Thread.sleep(4_000); // a joining node is up within about a second when it is let in
    assertThat(up(first)).hasSize(2).doesNotContain(Cluster.get(foreign).selfAddress(),
        Cluster.get(plain).selfAddress(), Cluster.get(impostor).selfAddress());
    for (ActorSystem outsider : List.of(foreign, plain, impostor)) {
      assertThat(up(outsider)).isEmpty();
      org.assertj.core.api.Assertions.assertThatThrownBy(() -> ask(outsider, first, Duration.ofSeconds(2)))
          .hasRootCauseInstanceOf(akka.pattern.AskTimeoutException.class);
    }
    assertThat(ask(second, first, Duration.ofSeconds(5))).isEqualTo("echo:hello");
  }
}
