package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import com.typesafe.config.ConfigFactory;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/** The warnings a node logs at start when the API or the cluster port is reachable without TLS. */
class NodeTlsTest {
  private final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  private final Logger logger = (Logger) LoggerFactory.getLogger(NodeTls.class);

  @BeforeEach
  void capture() {
    captured.start();
    logger.addAppender(captured);
  }

  @AfterEach
  void release() {
    logger.detachAppender(captured);
  }

  private static NodeTls tls(Map<String, Object> settings) {
    return NodeTls.fromConfig(ConfigFactory.parseMap(settings).withFallback(ConfigFactory.load()));
  }

  private List<String> warnings() {
    return captured.list.stream().filter(e -> e.getLevel() == Level.WARN).map(ILoggingEvent::getFormattedMessage)
        .toList();
  }

  @Test
  void aGatewayListeningBeyondLoopbackWithoutTlsGetsOneWarningEachForTheApiAndTheClusterPort() {
    tls(Map.of()).warnIfPlainAndReachable(true, "0.0.0.0", "10.1.2.3");
    assertThat(warnings()).hasSize(2);
    assertThat(warnings().get(0)).contains("the HTTP API listens on 0.0.0.0 without TLS", "MODELPLANE_TLS_CERT");
    assertThat(warnings().get(1)).contains("cluster traffic to and from 10.1.2.3 is not encrypted",
        "MODELPLANE_CLUSTER_TLS_CERT");
  }

  @Test
  void loopbackAndNodesWithoutTheApiAreNotWarnedAbout() {
    tls(Map.of()).warnIfPlainAndReachable(true, "127.0.0.1", "127.0.0.1");
    tls(Map.of()).warnIfPlainAndReachable(true, "localhost", "::1");
    tls(Map.of()).warnIfPlainAndReachable(false, "0.0.0.0", "127.0.0.1"); // a worker: health endpoints only
    assertThat(warnings()).isEmpty();
  }

  @Test
  void clusterTlsBecomesArteryOverTlsWithTheFilesAndAeadSuites() {
    Map<String, Object> akka = tls(Map.of("modelplane.tls.cluster.cert", "/certs/tls.crt",
        "modelplane.tls.cluster.key", "/certs/tls.key", "modelplane.tls.cluster.ca", "/certs/ca.crt")).akkaSettings();
    assertThat(akka).containsEntry("akka.remote.artery.transport", "tls-tcp")
        .containsEntry("akka.remote.artery.ssl.rotating-keys-engine.ca-cert-file", "/certs/ca.crt")
        .containsEntry("akka.remote.artery.ssl.rotating-keys-engine.enabled-algorithms", NodeTls.CLUSTER_CIPHER_SUITES);
    assertThat(tls(Map.of()).akkaSettings()).isEmpty();
  }
}
