package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.typed.javadsl.Adapter;
import akka.cluster.MemberStatus;
import akka.cluster.typed.Cluster;
import akka.management.cluster.bootstrap.ClusterBootstrap;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The cluster settings and the Akka settings the node derives from them. */
class ClusterSettingsTest {
  @TempDir Path dir;

  private Config derived(Map<String, Object> settings) {
    Map<String, Object> all = new HashMap<>(Map.of("modelplane.data-dir", dir.toString()));
    all.putAll(settings);
    return Main.nodeConfig(ConfigFactory.parseMap(all));
  }

  @Test
  void byDefaultStaticSeedsKeepMajorityAndManagementOnTheClusterHost() {
    Config c = derived(Map.of("modelplane.cluster.host", "10.1.2.3"));
    assertThat(c.getString("akka.cluster.split-brain-resolver.active-strategy")).isEqualTo("keep-majority");
    assertThat(c.getString("akka.cluster.downing-provider-class")).isEqualTo("akka.cluster.sbr.SplitBrainResolverProvider");
    assertThat(c.getStringList("akka.cluster.seed-nodes")).containsExactly("akka://modelplane@10.1.2.3:25520");
    assertThat(c.getString("akka.management.http.hostname")).isEqualTo("10.1.2.3");
    assertThat(c.getInt("akka.management.http.port")).isEqualTo(8558);
    assertThat(c.getBoolean("akka.management.http.route-providers-read-only")).isTrue();
    assertThat(c.getConfig("akka.management.health-checks.readiness-checks").root().unwrapped())
        .containsEntry("modelplane", "io.modelplane.app.NodeReadiness$Check");
    assertThat(c.getDuration("modelplane.cluster.shutdown-timeout").toSeconds()).isEqualTo(60);
  }

  @Test
  void keepOldestDownsTheOldestWhenItIsAlone() {
    Config c = derived(Map.of("modelplane.cluster.seed-nodes", "10.0.0.1:25520,10.0.0.2:25520",
        "modelplane.cluster.downing", "keep-oldest", "modelplane.management.host", "0.0.0.0",
        "modelplane.management.port", 9100, "modelplane.cluster.shutdown-timeout", "30s"));
    assertThat(c.getString("akka.cluster.split-brain-resolver.active-strategy")).isEqualTo("keep-oldest");
    assertThat(c.getBoolean("akka.cluster.split-brain-resolver.keep-oldest.down-if-alone")).isTrue();
    assertThat(c.getStringList("akka.cluster.seed-nodes"))
        .containsExactly("akka://modelplane@10.0.0.1:25520", "akka://modelplane@10.0.0.2:25520");
    assertThat(c.getString("akka.management.http.hostname")).isEqualTo("0.0.0.0");
    assertThat(c.getInt("akka.management.http.port")).isEqualTo(9100);
    assertThat(c.getDuration("akka.coordinated-shutdown.phases.before-cluster-shutdown.timeout").toSeconds())
        .isEqualTo(30);
  }

  @Test
  void kubernetesApiDiscoveryBootstrapsFromLabelledPods() {
    Config c = derived(Map.of("modelplane.cluster.discovery", "kubernetes-api",
        "modelplane.cluster.seed-nodes", "10.0.0.1:25520", "modelplane.cluster.bootstrap.service-name", "mp-prod",
        "modelplane.cluster.bootstrap.required-contacts", 3));
    String discovery = "akka.management.cluster.bootstrap.contact-point-discovery.";
    assertThat(c.getString(discovery + "discovery-method")).isEqualTo("kubernetes-api");
    assertThat(c.getString(discovery + "service-name")).isEqualTo("mp-prod");
    assertThat(c.getInt(discovery + "required-contact-point-nr")).isEqualTo(3);
    assertThat(String.format(c.getString("akka.discovery.kubernetes-api.pod-label-selector"), "mp-prod"))
        .isEqualTo("app.kubernetes.io/name=mp-prod");
    assertThat(c.getString("akka.discovery.kubernetes-api.class"))
        .isEqualTo("akka.discovery.kubernetes.KubernetesApiServiceDiscovery");
    // bootstrap joins: no static seed (not even the node itself) races it
    assertThat(c.getStringList("akka.cluster.seed-nodes")).isEmpty();
  }

  @Test
  void aNodeWithKubernetesApiDiscoveryStartsTheBootstrapAndIsNotReadyUntilItJoins() throws Exception {
    Main.Node node = Main.init(TestNodes.config(dir, Map.of("modelplane.cluster.discovery", "kubernetes-api",
        "modelplane.cluster.roles", "worker", "modelplane.operator-key", "")));
    try {
      assertThat(ClusterBootstrap.get(Adapter.toClassic(node.system())).discovery().getClass().getName())
          .isEqualTo("akka.discovery.kubernetes.KubernetesApiServiceDiscovery");
      String management = HealthProbesTest.managementUrl(node);
      HttpClient http = HttpClient.newHttpClient();
      assertThat(http.send(HttpRequest.newBuilder(URI.create(management + "/alive")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(200);
      // no Kubernetes API here: the node finds no contact point, never founds a cluster alone, is not ready
      Thread.sleep(2000);
      assertThat(Cluster.get(node.system()).selfMember().status()).isNotEqualTo(MemberStatus.up());
      assertThat(http.send(HttpRequest.newBuilder(URI.create(management + "/ready")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(500);
      assertThat(http.send(HttpRequest.newBuilder(URI.create(node.baseUrl() + "/v2/health/ready")).build(),
          HttpResponse.BodyHandlers.ofString()).statusCode()).isEqualTo(503);
    } finally {
      node.stop();
    }
  }

  @Test
  void twoSeedsWithoutADowningChoiceAreRefused() {
    assertThatThrownBy(() -> Main.init(TestNodes.config(dir, Map.of(
        "modelplane.cluster.seed-nodes", "127.0.0.1:25991, 127.0.0.1:25992"))))
        .isInstanceOf(RefusedSettingException.class)
        .hasMessageContaining("exactly two nodes")
        .hasMessageContaining("cannot tell a crash from a partition")
        .hasMessageContaining("MODELPLANE_DOWNING=keep-oldest")
        .hasMessageContaining("MODELPLANE_DOWNING=keep-majority");
  }

  @Test
  void unknownChoicesAreRefusedByName() {
    assertThatThrownBy(() -> derived(Map.of("modelplane.cluster.downing", "keep-everything")))
        .isInstanceOf(RefusedSettingException.class)
        .hasMessage("MODELPLANE_DOWNING must be one of keep-majority, keep-oldest; it is \"keep-everything\"");
    assertThatThrownBy(() -> derived(Map.of("modelplane.cluster.discovery", "dns")))
        .isInstanceOf(RefusedSettingException.class)
        .hasMessage("MODELPLANE_DISCOVERY must be one of seeds, kubernetes-api; it is \"dns\"");
    assertThatThrownBy(() -> derived(Map.of("modelplane.cluster.shutdown-timeout", "1s")))
        .isInstanceOf(RefusedSettingException.class).hasMessageContaining("MODELPLANE_SHUTDOWN_TIMEOUT");
  }

  @Test
  void threeSeedsNeedNoChoice() {
    Config c = derived(Map.of("modelplane.cluster.seed-nodes", "10.0.0.1:1,10.0.0.2:1,10.0.0.3:1"));
    NodeSettings node = NodeSettings.fromConfig(c);
    ClusterSettings.fromConfig(c, node).refuseAmbiguousDowning(node);
    assertThat(List.of(c.getString("akka.cluster.split-brain-resolver.active-strategy"))).containsExactly("keep-majority");
  }
}
