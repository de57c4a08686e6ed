package io.modelplane.api.tls;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.Behaviors;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.model.HttpResponse;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.testing.TestCertificates;
import io.modelplane.common.tls.OutgoingTrust;
import io.modelplane.common.tls.TlsFileException;
import java.io.InputStream;
import java.io.OutputStream;
import java.math.BigInteger;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse.BodyHandlers;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.security.cert.X509Certificate;
import java.time.Duration;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Real TLS handshakes on loopback against an akka-http server that serves {@link ServerTls}. */
class ServerTlsTest {
  private static final TestCertificates.Issued CA = TestCertificates.authority("test-ca");
  private static ActorSystem<Void> system;

  @TempDir
  Path dir;

  @BeforeAll
  static void start() {
    system = ActorSystem.create(Behaviors.empty(), "tls",
        ConfigFactory.parseString("akka.http.server.enable-http2 = on").withFallback(ConfigFactory.load()));
  }

  @AfterAll
  static void stop() {
    system.terminate();
  }

  private ServerTls pem(TestCertificates.Issued server) {
    server.writePem(dir.resolve("tls.crt"), dir.resolve("tls.key"));
    return ServerTls.load(new ServerTls.PemFiles(dir.resolve("tls.crt"), dir.resolve("tls.key")));
  }

  private InetSocketAddress serve(ServerTls tls) throws Exception {
    ServerBinding binding = Http.get(system).newServerAt("127.0.0.1", 0).enableHttps(tls.httpsContext())
        .bind((akka.japi.function.Function<akka.http.javadsl.model.HttpRequest, CompletionStage<HttpResponse>>)
            request -> CompletableFuture.completedFuture(HttpResponse.create().withEntity("ok")))
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return binding.localAddress();
  }

  /** A client context of its own (no session to resume) trusting only {@code ca}. */
  private static SSLContext trusting(TestCertificates.Issued ca, Path dir) {
    Path file = dir.resolve("ca-" + ca.serial() + ".crt");
    ca.writeCertificate(file);
    return OutgoingTrust.withExtraCa(file).sslContext();
  }

  private BigInteger servedSerial(InetSocketAddress address) throws Exception {
    try (SSLSocket socket = (SSLSocket) trusting(CA, dir).getSocketFactory()
        .createSocket(address.getHostString(), address.getPort())) {
      socket.startHandshake();
      return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
    }
  }

  @Test
  void servesHttpsOverHttp2AndHttp11WithAPemEcKey() throws Exception {
    InetSocketAddress address = serve(pem(CA.issue("localhost", "EC", "localhost", "127.0.0.1")));
    URI uri = URI.create("https://127.0.0.1:" + address.getPort() + "/");
    for (HttpClient.Version version : HttpClient.Version.values()) {
      HttpClient client = HttpClient.newBuilder().sslContext(trusting(CA, dir)).version(version).build();
      java.net.http.HttpResponse<String> response = client.send(HttpRequest.newBuilder(uri).build(),
          BodyHandlers.ofString());
      assertThat(response.statusCode()).isEqualTo(200);
      assertThat(response.body()).isEqualTo("ok");
      assertThat(response.version()).isEqualTo(version); // HTTP/2 chosen by ALPN when the client offers it
    }
  }

  @Test
  void servesAPkcs12KeystoreWithAnRsaKey() throws Exception {
    TestCertificates.Issued server = CA.issue("localhost", "RSA", "127.0.0.1");
    server.writePkcs12(dir.resolve("tls.p12"), "s3cret");
    ServerTls tls = ServerTls.load(new ServerTls.Pkcs12File(dir.resolve("tls.p12"), "s3cret"));
    assertThat(servedSerial(serve(tls))).isEqualTo(server.serial());
  }

  @Test
  void aClientThatDoesNotTrustTheCaIsRefused() throws Exception {
    InetSocketAddress address = serve(pem(CA.issue("localhost", "EC", "127.0.0.1")));
    HttpClient client = HttpClient.newBuilder().sslContext(trusting(TestCertificates.authority("other"), dir)).build();
    assertThatThrownBy(() -> client.send(HttpRequest.newBuilder(URI.create("https://127.0.0.1:" + address.getPort()
        + "/")).build(), BodyHandlers.ofString())).isInstanceOf(SSLHandshakeException.class);
  }

  @Test
  void refusesTls11AndPlainTextAndCbcSuites() throws Exception {
    InetSocketAddress address = serve(pem(CA.issue("localhost", "RSA", "127.0.0.1")));
    // a TLS 1.1 ClientHello written by hand (the JDK's client refuses to offer TLS 1.1 at all)
    byte[] hello = tls11ClientHello();
    byte[] answer = exchange(address, hello);
    assertThat(answer.length).isGreaterThan(0);
    assertThat(answer[0]).as("a TLS alert record, no ServerHello").isEqualTo((byte) 0x15);
    assertThat(answer[answer.length - 1]).as("alert protocol_version").isEqualTo((byte) 70);

    byte[] plain = exchange(address, "GET / HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
    assertThat(new String(plain, StandardCharsets.ISO_8859_1)).doesNotStartWith("HTTP/");

    try (SSLSocket socket = (SSLSocket) trusting(CA, dir).getSocketFactory()
        .createSocket(address.getHostString(), address.getPort())) {
      socket.setEnabledProtocols(new String[] {"TLSv1.2"});
      socket.setEnabledCipherSuites(new String[] {"TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA256"});
      assertThatThrownBy(socket::startHandshake).isInstanceOf(SSLHandshakeException.class);
    }
    assertThat(ServerTls.load(new ServerTls.PemFiles(dir.resolve("tls.crt"), dir.resolve("tls.key"))).protocols())
        .containsExactly("TLSv1.3", "TLSv1.2");
  }

  @Test
  void newConnectionsGetANewCertificateOnceTheFilesChangeAndABrokenFileKeepsTheOldOne() throws Exception {
    TestCertificates.Issued first = CA.issue("localhost", "EC", "127.0.0.1");
    ServerTls tls = pem(first);
    InetSocketAddress address = serve(tls);
    assertThat(servedSerial(address)).isEqualTo(first.serial());
    assertThat(tls.reloadIfChanged()).isFalse();

    TestCertificates.Issued second = CA.issue("localhost", "RSA", "127.0.0.1");
    second.writePem(dir.resolve("tls.crt"), dir.resolve("tls.key"));
    assertThat(tls.reloadIfChanged()).isTrue();
    assertThat(servedSerial(address)).isEqualTo(second.serial());

    // a certificate whose key has not arrived yet, then a file that is no PEM at all: the current one stays
    CA.issue("localhost", "EC", "127.0.0.1").writeCertificate(dir.resolve("tls.crt"));
    assertThat(tls.reloadIfChanged()).isFalse();
    TestCertificates.writeAtomically(dir.resolve("tls.key"), "not a key");
    assertThat(tls.reloadIfChanged()).isFalse();
    Files.delete(dir.resolve("tls.key"));
    assertThat(tls.reloadIfChanged()).isFalse();
    assertThat(servedSerial(address)).isEqualTo(second.serial());
    assertThat(tls.certificate().getSerialNumber()).isEqualTo(second.serial());
  }

  @Test
  void filesThatCannotBeUsedAreRefusedWithTheFileAndSettingNamed() throws Exception {
    Path cert = dir.resolve("tls.crt");
    Path key = dir.resolve("tls.key");
    assertThatThrownBy(() -> ServerTls.load(new ServerTls.PemFiles(cert, key)))
        .isInstanceOf(TlsFileException.class).hasMessageContaining(cert.toString()).hasMessageContaining("no such file")
        .hasMessageContaining("MODELPLANE_TLS_CERT");

    TestCertificates.Issued server = CA.issue("localhost", "EC", "127.0.0.1");
    server.writePem(cert, key);
    CA.issue("other", "EC", "127.0.0.1").writePem(dir.resolve("other.crt"), key);
    assertThatThrownBy(() -> ServerTls.load(new ServerTls.PemFiles(cert, key)))
        .isInstanceOf(TlsFileException.class).hasMessageContaining("does not belong to the certificate");

    TestCertificates.writeAtomically(key, "-----BEGIN RSA PRIVATE KEY-----\nAAAA\n-----END RSA PRIVATE KEY-----\n");
    assertThatThrownBy(() -> ServerTls.load(new ServerTls.PemFiles(cert, key)))
        .isInstanceOf(TlsFileException.class).hasMessageContaining("PKCS#8").hasMessageNotContaining("AAAA");

    TestCertificates.writeAtomically(cert, "garbage");
    assertThatThrownBy(() -> ServerTls.load(new ServerTls.PemFiles(cert, key)))
        .isInstanceOf(TlsFileException.class).hasMessageContaining(cert.toString());

    server.writePkcs12(dir.resolve("tls.p12"), "right");
    assertThatThrownBy(() -> ServerTls.load(new ServerTls.Pkcs12File(dir.resolve("tls.p12"), "wrong")))
        .isInstanceOf(TlsFileException.class).hasMessageContaining("wrong password")
        .hasMessageNotContaining("right");
  }

  private static byte[] exchange(InetSocketAddress address, byte[] request) throws Exception {
    try (Socket socket = new Socket(address.getAddress(), address.getPort())) {
      socket.setSoTimeout((int) Duration.ofSeconds(5).toMillis());
      OutputStream out = socket.getOutputStream();
      out.write(request);
      out.flush();
      InputStream in = socket.getInputStream();
      byte[] buffer = new byte[4096];
      int n = 0;
      try {
        int read;
        while (n < buffer.length && (read = in.read(buffer, n, buffer.length - n)) > 0) {
          n += read;
        }
      } catch (java.net.SocketException | java.net.SocketTimeoutException e) {
        // the server closed or reset the connection after its answer
      }
      return java.util.Arrays.copyOf(buffer, n);
    }
  }

  private static byte[] tls11ClientHello() {
    byte[] random = new byte[32];
    new SecureRandom().nextBytes(random);
    java.io.ByteArrayOutputStream body = new java.io.ByteArrayOutputStream();
    body.write(0x03);
    body.write(0x02); // TLS 1.1
    body.writeBytes(random);
    body.write(0); // no session id
    body.writeBytes(new byte[] {0, 4, (byte) 0xc0, 0x13, 0x00, 0x2f}); // ECDHE_RSA_AES128_CBC_SHA, RSA_AES128_CBC_SHA
    body.writeBytes(new byte[] {1, 0}); // no compression
    byte[] b = body.toByteArray();
    java.io.ByteArrayOutputStream record = new java.io.ByteArrayOutputStream();
    int handshakeLength = b.length + 4;
    record.writeBytes(new byte[] {0x16, 0x03, 0x02, (byte) (handshakeLength >> 8), (byte) handshakeLength});
    record.writeBytes(new byte[] {0x01, 0, (byte) (b.length >> 8), (byte) b.length});
    record.writeBytes(b);
    return record.toByteArray();
  }
}
