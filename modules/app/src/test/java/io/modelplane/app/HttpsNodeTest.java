package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.testing.TestCertificates;
import io.modelplane.common.tls.OutgoingTrust;
import java.io.InputStream;
import java.math.BigInteger;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * A real node serving its API over HTTPS (PEM files, reloaded when they change) and talking to itself over
 * cluster mutual TLS: health and the digits model's predict answer over HTTPS; plain HTTP gets nothing.
 */
class HttpsNodeTest {
  static final TestCertificates.Issued CA = TestCertificates.authority("test-ca");
  static final TestCertificates.Issued CLUSTER_CA = TestCertificates.authority("cluster-ca");

  @TempDir static Path dir;
  static Main.Node node;
  static ApiClient api;
  static TestCertificates.Issued first;

  @BeforeAll
  static void start() {
    first = CA.issue("localhost", "EC", "127.0.0.1");
    first.writePem(dir.resolve("tls.crt"), dir.resolve("tls.key"));
    Map<String, Object> settings = new HashMap<>(ClusterTlsTest.clusterTls(dir, "node", CLUSTER_CA,
        CLUSTER_CA.issue("node-1", "RSA", ClusterTlsTest.CLUSTER_NAME)));
    settings.put("modelplane.tls.cert", dir.resolve("tls.crt").toString());
    settings.put("modelplane.tls.key", dir.resolve("tls.key").toString());
    settings.put("modelplane.tls.reload-interval", "300ms");
    settings.put("modelplane.demo", true);
    node = Main.init(TestNodes.config(dir.resolve("data"), settings));
    api = new ApiClient(node.baseUrl(), HttpClient.newBuilder().sslContext(trusting(CA)).build());
    TestNodes.eventually(Duration.ofSeconds(30), () -> api.get("/v2/health/ready", null).status() == 200, "ready");
  }

  @AfterAll
  static void stop() {
    if (node != null) {
      node.stop();
    }
  }

  static SSLContext trusting(TestCertificates.Issued ca) {
    Path file = dir.resolve("trust-" + ca.serial() + ".crt");
    ca.writeCertificate(file);
    return OutgoingTrust.withExtraCa(file).sslContext();
  }

  private static BigInteger servedSerial() throws Exception {
    URI uri = URI.create(node.baseUrl());
    try (SSLSocket socket = (SSLSocket) trusting(CA).getSocketFactory().createSocket(uri.getHost(), uri.getPort())) {
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  private static boolean serves(BigInteger serial) {
    try {
      return servedSerial().equals(serial);
    } catch (Exception e) {
      return false;
    }
  }

  @Test
  void predictsOverHttpsAndRefusesPlainHttp() throws Exception {
    assertThat(node.baseUrl()).startsWith("https://127.0.0.1:");
    assertThat(node.system().settings().config().getString("akka.remote.artery.transport")).isEqualTo("tls-tcp");
    String key = api.post("/api/v1/tenants/demo/api-keys", TestNodes.OPERATOR_KEY,
        Map.of("name", "tls", "role", "developer")).json().get("key").asText();
    JsonNode heldOut;
    try (InputStream in = getClass().getResourceAsStream("/io/modelplane/inference/demo/digits-heldout.json")) {
      heldOut = ApiClient.JSON.readTree(in);
    }
    TestNodes.eventually(Duration.ofSeconds(60),
        () -> api.get("/v2/models/digits/ready", key).json().path("ready").asBoolean(), "digits ready");
    int correct = 0;
    for (int i = 0; i < 20; i++) {
      ApiClient.Reply r = api.post("/v2/models/digits/infer", key, PredictApiTest.request(heldOut.get("inputs").get(i)));
      assertThat(r.status()).as(r.toString()).isEqualTo(200);
      correct += PredictApiTest.argmax(r.json().get("outputs").get(0).get("data"), 0)
          == heldOut.get("labels").get(i).asInt() ? 1 : 0;
    }
    assertThat(correct).isGreaterThanOrEqualTo(18);

    String plain = node.baseUrl().replace("https://", "http://");
    HttpClient client = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(URI.create(plain + "/v2/health/ready"))
        .timeout(Duration.ofSeconds(5)).build(), HttpResponse.BodyHandlers.ofString()))
        .isInstanceOf(java.io.IOException.class);
  }

  /** The serial of the certificate the gRPC port serves a new connection (its TLS session after one call). */
  private static BigInteger grpcServedSerial() throws Exception {
    Path caFile = dir.resolve("grpc-ca.crt");
    CA.writeCertificate(caFile);
    io.grpc.ManagedChannel channel = io.grpc.netty.shaded.io.grpc.netty.NettyChannelBuilder
        .forAddress("127.0.0.1", node.grpcAddress().getPort())
        .sslContext(io.grpc.netty.shaded.io.grpc.netty.GrpcSslContexts.forClient().trustManager(caFile.toFile()).build())
        .build();
    try {
      java.util.concurrent.atomic.AtomicReference<javax.net.ssl.SSLSession> session =
          new java.util.concurrent.atomic.AtomicReference<>();
      io.grpc.ClientInterceptor capture = new io.grpc.ClientInterceptor() {
        @Override
        public <Q, R> io.grpc.ClientCall<Q, R> interceptCall(io.grpc.MethodDescriptor<Q, R> method,
            io.grpc.CallOptions options, io.grpc.Channel next) {
          return new io.grpc.ForwardingClientCall.SimpleForwardingClientCall<>(next.newCall(method, options)) {
            @Override
            public void start(Listener<R> listener, io.grpc.Metadata headers) {
              super.start(new io.grpc.ForwardingClientCallListener.SimpleForwardingClientCallListener<>(listener) {
                @Override
                public void onHeaders(io.grpc.Metadata h) {
                  session.set(getAttributes().get(io.grpc.Grpc.TRANSPORT_ATTR_SSL_SESSION));
                  super.onHeaders(h);
                }
              }, headers);
            }
          };
        }
      };
      assertThat(io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc.newBlockingStub(channel).withInterceptors(capture)
          .withDeadlineAfter(Duration.ofSeconds(10))
          .serverLive(io.modelplane.api.grpc.oip.OpenInference.ServerLiveRequest.getDefaultInstance()).getLive()).isTrue();
      return ((X509Certificate) session.get().getPeerCertificates()[0]).getSerialNumber();
    } finally {
      channel.shutdownNow();
    }
  }

  @Test
  void grpcServesTheHttpsCertificateAndRefusesPlaintext() throws Exception {
    TestNodes.eventually(Duration.ofSeconds(10), () -> {
      try {
        return grpcServedSerial().equals(servedSerial());
      } catch (Exception e) {
        return false;
      }
    }, "gRPC serves the HTTPS certificate");
    io.grpc.ManagedChannel plain = io.grpc.ManagedChannelBuilder.forAddress("127.0.0.1", node.grpcAddress().getPort())
        .usePlaintext().build();
    try {
      assertThatThrownBy(() -> io.modelplane.api.grpc.oip.GRPCInferenceServiceGrpc.newBlockingStub(plain)
          .withDeadlineAfter(Duration.ofSeconds(5))
          .serverLive(io.modelplane.api.grpc.oip.OpenInference.ServerLiveRequest.getDefaultInstance()))
          .isInstanceOf(io.grpc.StatusRuntimeException.class);
    } finally {
      plain.shutdownNow();
    }
  }

  @Test
  void newConnectionsGetTheNewCertificateOnceTheFilesAreReplaced() throws Exception {
    TestCertificates.Issued second = CA.issue("localhost", "RSA", "127.0.0.1");
    TestNodes.eventually(Duration.ofSeconds(5), () -> serves(first.serial()), "first certificate served");
    second.writePem(dir.resolve("tls.crt"), dir.resolve("tls.key"));
    TestNodes.eventually(Duration.ofSeconds(10), () -> serves(second.serial()), "new certificate served without a restart");
    assertThat(grpcServedSerial()).as("gRPC serves the reloaded certificate too").isEqualTo(second.serial());
    assertThat(api.get("/v2/health/live", null).status()).isEqualTo(200);
  }

  @Test
  void offersHttp2ByAlpnWhenAskedAndHttp11ClientsKeepWorking() throws Exception {
    Map<String, Object> settings = new HashMap<>();
    settings.put("modelplane.tls.cert", dir.resolve("tls.crt").toString());
    settings.put("modelplane.tls.key", dir.resolve("tls.key").toString());
    settings.put("modelplane.tls.http2", true);
    Main.Node http2 = Main.init(TestNodes.config(dir.resolve("data-h2"), settings));
    try {
      for (HttpClient.Version version : HttpClient.Version.values()) {
        HttpClient client = HttpClient.newBuilder().sslContext(trusting(CA)).version(version).build();
        HttpResponse<String> live = client.send(HttpRequest.newBuilder(URI.create(http2.baseUrl() + "/v2/health/live"))
            .build(), HttpResponse.BodyHandlers.ofString());
        assertThat(live.statusCode()).isEqualTo(200);
        assertThat(live.version()).isEqualTo(version);
      }
    } finally {
      http2.stop();
    }
  }

  @Test
  void settingsHalfGivenOrFilesThatCannotBeUsedStopTheStart() throws Exception {
    Path data = dir.resolve("refused");
    Files.createDirectories(data);
    Path crt = dir.resolve("tls.crt");
    List<Map<String, Object>> refused = List.of(
        Map.of("modelplane.tls.cert", crt.toString()),
        Map.of("modelplane.tls.cert", crt.toString(), "modelplane.tls.key", dir.resolve("missing.key").toString()),
        Map.of("modelplane.tls.keystore", dir.resolve("missing.p12").toString(), "modelplane.tls.keystore-password", "x"),
        Map.of("modelplane.tls.keystore-password", "x"),
        Map.of("modelplane.tls.http2", true),
        Map.of("modelplane.tls.cluster.cert", crt.toString()),
        Map.of("modelplane.tls.trusted-ca", dir.resolve("missing-ca.crt").toString()));
    List<String> expected = List.of("MODELPLANE_TLS_KEY", "missing.key", "missing.p12", "MODELPLANE_TLS_KEYSTORE",
        "MODELPLANE_HTTP2 needs HTTPS", "MODELPLANE_CLUSTER_TLS_KEY", "missing-ca.crt");
    for (int i = 0; i < refused.size(); i++) {
      Map<String, Object> settings = refused.get(i);
      assertThatThrownBy(() -> Main.init(TestNodes.config(data, settings)))
          .as(settings.toString()).isInstanceOf(RefusedSettingException.class).hasMessageContaining(expected.get(i))
          .hasMessageNotContaining("BEGIN");
    }
  }
}
