package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import ch.qos.logback.core.read.ListAppender;
import java.net.InetSocketAddress;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.LoggerFactory;

/** No log line carries an API key's secret, however the key was sent (malformed forms included). */
class SecretLoggingTest {
  @TempDir
  static Path dataDir;
  static Main.Node node;
  static final ListAppender<ILoggingEvent> captured = new ListAppender<>();
  static Logger root;
  static Level rootLevel;

  @BeforeAll
  static void start() {
    root = ((LoggerContext) LoggerFactory.getILoggerFactory()).getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
    rootLevel = root.getLevel();
    root.setLevel(Level.DEBUG);
    captured.start();
    root.addAppender(captured);
    node = TestNodes.start(dataDir, Map.of("akka.loglevel", "DEBUG"));
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
    root.detachAppender(captured);
    root.setLevel(rootLevel);
  }

  @Test
  void aKeySentInAnyFormNeverReachesTheLog() {
    ApiClient api = new ApiClient(node.baseUrl());
    assertThat(api.post("/api/v1/tenants", TestNodes.OPERATOR_KEY, Map.of("id", "logsecrets", "displayName", "l"))
        .status()).isEqualTo(201);
    String key = api.post("/api/v1/tenants/logsecrets/api-keys", TestNodes.OPERATOR_KEY,
        Map.of("name", "k", "role", "tenant-admin")).json().get("key").asText();
    String secret = key.substring(key.lastIndexOf('_') + 1);
    InetSocketAddress server = node.httpAddress();

    // real use: management and predict calls with the key
    assertThat(api.get("/api/v1/tenants/logsecrets", key).status()).isEqualTo(200);
    api.post("/v2/models/nothing/infer", key, Map.of("inputs", List.of()));
    api.get("/api/v1/tenants/logsecrets/models", key);
    // malformed forms, sent raw so no client library normalises them
    List<String> forms = List.of(
        "Authorization: Bearer " + key + ",",
        "Authorization: Bearer \"" + key + "\"",
        "Authorization: Bearer " + key + " x",
        "Authorization: Bearer " + key + ";",
        "Authorization: Bearer " + key + "\r\nAuthorization: Bearer " + key,
        "Authorization: Bearer " + key + ", Bearer " + key,
        "Authorization: Basic " + key,
        "Authorization: bearer=" + key,
        "Authorization: " + key,
        "Proxy-Authorization: Bearer " + key + ",",
        "Cookie: session=" + key + "; other=\"" + key + "\"",
        "Authorization: Bearer " + key + "\u0000");
    for (String form : forms) {
      for (String path : List.of("/api/v1/tenants/logsecrets", "/v2/models/digits/infer")) {
        RawHttp.Response r = RawHttp.exchange(server,
            "GET " + path + " HTTP/1.1\r\nHost: modelplane\r\n" + form + "\r\nConnection: close\r\n\r\n");
        assertThat(r.body()).doesNotContain(secret);
      }
    }
    // akka's own log events travel through its event stream: wait until a marker sent after them arrives
    String marker = "secret-log-marker-" + System.nanoTime();
    akka.event.Logging.getLogger(akka.actor.typed.javadsl.Adapter.toClassic(node.system()), "marker").warning(marker);
    TestNodes.eventually(Duration.ofSeconds(10), () -> lines().stream().anyMatch(l -> l.contains(marker)),
        "the marker is logged");

    assertThat(lines()).as("log lines").isNotEmpty().noneMatch(line -> line.contains(secret));
  }

  /** Every captured event: message and exception messages, as they would be printed before any masking. */
  private static List<String> lines() {
    List<String> lines = new ArrayList<>();
    synchronized (captured) {
      for (ILoggingEvent e : List.copyOf(captured.list)) {
        StringBuilder b = new StringBuilder(e.getLoggerName()).append(' ').append(e.getFormattedMessage());
        for (IThrowableProxy t = e.getThrowableProxy(); t != null; t = t.getCause()) {
          b.append(" | ").append(t.getMessage());
        }
        lines.add(b.toString());
      }
    }
    return lines;
  }
}
