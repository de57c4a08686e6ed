package io.modelplane.api.grpc;

import io.grpc.Server;
import io.grpc.ServerServiceDefinition;
import io.grpc.netty.shaded.io.grpc.netty.NettyServerBuilder;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolConfig;
import io.grpc.netty.shaded.io.netty.handler.ssl.ApplicationProtocolNames;
import io.grpc.netty.shaded.io.netty.handler.ssl.ClientAuth;
import io.grpc.netty.shaded.io.netty.handler.ssl.IdentityCipherSuiteFilter;
import io.grpc.netty.shaded.io.netty.handler.ssl.JdkSslContext;
import io.grpc.netty.shaded.io.netty.handler.ssl.SslContext;
import io.modelplane.api.tls.ServerTls;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetSocketAddress;
import java.util.OptionalInt;

/** The gRPC server of a gateway node: its port setting, TLS with the HTTPS certificate, the message size limit. */
public final class GrpcServer {
  /** Each connection's and call's HTTP/2 receive window. */
  static final int FLOW_CONTROL_WINDOW = 8 << 20;

  private GrpcServer() {}

  /**
   * The port of the {@code MODELPLANE_GRPC_PORT} setting: a number 0–65535 (0: any free port), or
   * empty for {@code off}. Anything else is refused with a sentence naming the setting.
   */
  public static OptionalInt port(String setting) {
    String value = setting == null ? "" : setting.trim();
    if (value.equalsIgnoreCase("off")) {
      return OptionalInt.empty();
    }
    try {
      int port = Integer.parseInt(value);
      if (port >= 0 && port <= 65535) {
        return OptionalInt.of(port);
      }
    } catch (NumberFormatException e) {
      // refused below
    }
    throw new IllegalArgumentException("MODELPLANE_GRPC_PORT (modelplane.grpc.port) must be a port number"
        + " from 0 to 65535 or off, is '" + value + "'");
  }

  /**
   * Starts serving {@code service} on {@code host:port}; with {@code tls} (null: plaintext HTTP/2) over
   * the same key material as HTTPS, so a reloaded certificate is served to new connections here too.
   * Messages over {@code maxMessageBytes} are refused with RESOURCE_EXHAUSTED before they are read.
   */
  public static Server start(String host, int port, ServerTls tls, ServerServiceDefinition service,
      long maxMessageBytes) {
    NettyServerBuilder builder = NettyServerBuilder.forAddress(new InetSocketAddress(host, port))
        // calls run on the connection's event loop, not handed to a thread pool first: the service only
        // decodes the message and starts the predict pipeline, whose stages are asynchronous (the same
        // work, and the same non-blocking rule, as the HTTP routes on Akka's dispatcher)
        .directExecutor()
        // a fixed window instead of BDP auto-tuning, whose PING per burst of DATA doubles the frames of
        // small calls; 8 MiB holds a dozen ResNet-sized requests (600 KB) in flight on one connection
        .flowControlWindow(FLOW_CONTROL_WINDOW)
        .addService(service)
        .maxInboundMessageSize((int) Math.min(Integer.MAX_VALUE, maxMessageBytes));
    if (tls != null) {
      builder.sslContext(sslContext(tls));
    }
    try {
      return builder.build().start();
    } catch (IOException e) {
      throw new UncheckedIOException("gRPC could not bind " + host + ":" + port + ": " + e.getMessage(), e);
    }
  }

  /** Netty's view of the HTTPS context: its protocols and cipher suites, and ALPN offering HTTP/2 (gRPC needs it). */
  static SslContext sslContext(ServerTls tls) {
    return new JdkSslContext(tls.sslContext(), false, tls.cipherSuites(), IdentityCipherSuiteFilter.INSTANCE,
        new ApplicationProtocolConfig(ApplicationProtocolConfig.Protocol.ALPN,
            ApplicationProtocolConfig.SelectorFailureBehavior.NO_ADVERTISE,
            ApplicationProtocolConfig.SelectedListenerFailureBehavior.ACCEPT, ApplicationProtocolNames.HTTP_2),
        ClientAuth.NONE, tls.protocols().toArray(String[]::new), false);
  }
}
