package io.modelplane.app;

import com.typesafe.config.Config;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * How the node finds the cluster, who is downed when nodes become unreachable, how it leaves, and where
 * Akka Management listens: {@code modelplane.cluster.*} and {@code modelplane.management.*}.
 */
record ClusterSettings(Discovery discovery, String bootstrapServiceName, int bootstrapRequiredContacts,
    Downing downing, boolean downingChosen, Duration shutdownTimeout, String managementHost, int managementPort) {

  enum Discovery {
    SEEDS("seeds"), KUBERNETES_API("kubernetes-api");

    final String setting;

    Discovery(String setting) {
      this.setting = setting;
    }
  }

  enum Downing {
    KEEP_MAJORITY("keep-majority"), KEEP_OLDEST("keep-oldest");

    final String setting;

    Downing(String setting) {
      this.setting = setting;
    }
  }

  static ClusterSettings fromConfig(Config root, NodeSettings node) {
    Config c = root.getConfig("modelplane.cluster");
    Config m = root.getConfig("modelplane.management");
    Discovery discovery = parse(Discovery.values(), c.getString("discovery"), "MODELPLANE_DISCOVERY", d -> d.setting);
    String downing = c.getString("downing").trim();
    boolean chosen = !downing.isEmpty();
    Duration timeout = c.getDuration("shutdown-timeout");
    if (timeout.compareTo(Duration.ofSeconds(5)) < 0) {
      throw new RefusedSettingException("MODELPLANE_SHUTDOWN_TIMEOUT must be at least 5s (a graceful leave needs"
          + " time to finish requests, hand off shards and leave the cluster); it is " + c.getString("shutdown-timeout"));
    }
    int contacts = c.getInt("bootstrap.required-contacts");
    if (contacts < 1) {
      throw new RefusedSettingException("MODELPLANE_BOOTSTRAP_REQUIRED_CONTACTS must be 1 or more; it is " + contacts);
    }
    String host = m.getString("host").isBlank() ? node.clusterHost() : m.getString("host").trim();
    return new ClusterSettings(discovery, c.getString("bootstrap.service-name").trim(), contacts,
        chosen ? parse(Downing.values(), downing, "MODELPLANE_DOWNING", d -> d.setting) : Downing.KEEP_MAJORITY,
        chosen, timeout, host, m.getInt("port"));
  }

  /**
   * Two nodes cannot tell a crash from a partition, so only one side may go on: with keep-majority the node
   * with the lower address, with keep-oldest the oldest. Losing that one downs the other too; operators of a
   * seed list of exactly two nodes therefore choose knowingly.
   */
  void refuseAmbiguousDowning(NodeSettings node) {
    if (discovery == Discovery.SEEDS && !downingChosen && node.seedNodes().size() == 2) {
      throw new RefusedSettingException("the seed list names exactly two nodes (" + String.join(", ", node.seedNodes())
          + "), and two nodes cannot tell a crash from a partition: set MODELPLANE_DOWNING=keep-oldest (the"
          + " oldest node goes on when the other is lost; losing the oldest stops both) or"
          + " MODELPLANE_DOWNING=keep-majority (the node with the lower address goes on; meant for three or more"
          + " nodes, which survive losing any one)");
    }
  }

  /** The Akka settings these choices stand for, on top of cluster.conf. */
  Map<String, Object> akkaSettings() {
    Map<String, Object> akka = new HashMap<>();
    String sbr = "akka.cluster.split-brain-resolver.";
    akka.put(sbr + "active-strategy", downing.setting);
    if (downing == Downing.KEEP_OLDEST) {
      akka.put(sbr + "keep-oldest.down-if-alone", "on");
    }
    akka.put("akka.management.http.hostname", managementHost);
    akka.put("akka.management.http.port", managementPort);
    if (discovery == Discovery.KUBERNETES_API) {
      String bootstrap = "akka.management.cluster.bootstrap.contact-point-discovery.";
      akka.put(bootstrap + "discovery-method", "kubernetes-api");
      akka.put(bootstrap + "service-name", bootstrapServiceName);
      akka.put(bootstrap + "required-contact-point-nr", bootstrapRequiredContacts);
      akka.put("akka.discovery.kubernetes-api.pod-label-selector", "app.kubernetes.io/name=%s");
      // bootstrap joins the node: a static seed list would race it
      akka.put("akka.cluster.seed-nodes", List.of());
    }
    // the graceful leave's steps together stay within the timeout (see GracefulLeave)
    String phases = "akka.coordinated-shutdown.phases.";
    akka.put(phases + "before-cluster-shutdown.timeout", shutdownTimeout.toMillis() + "ms");
    return akka;
  }

  private static <T> T parse(T[] values, String given, String variable, java.util.function.Function<T, String> name) {
    String v = given.trim().toLowerCase(Locale.ROOT);
    for (T value : values) {
      if (name.apply(value).equals(v)) {
        return value;
      }
    }
    throw new RefusedSettingException(variable + " must be one of "
        + String.join(", ", java.util.Arrays.stream(values).map(name).toList()) + "; it is \"" + given + "\"");
  }
}
