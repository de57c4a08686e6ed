package io.modelplane.bench;

import io.modelplane.common.tls.OutgoingTrust;
import java.io.BufferedInputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;
import javax.net.SocketFactory;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;

/**
 * The price of HTTPS on the digits model's predict path: two nodes started side by side, one serving plain
 * HTTP and one HTTPS (a PKCS#12 keystore made with keytool), loaded in turns with the same closed-loop
 * HTTP/1.1 keep-alive client (blocking sockets, one thread per connection), plain then TLS then TLS then
 * plain, so that a drift of the machine hits both alike. Also the cost of a new connection (TCP, or TCP plus
 * the TLS handshake, then one predict). Prints a Markdown table.
 */
public final class TlsBenchmark {
  private static final Duration SERVER_START = Duration.ofSeconds(180);
  private static final Duration MODEL_READY = Duration.ofSeconds(180);
  private static final String TENANT = "bench";

  private TlsBenchmark() {}

  /** One timed phase. */
  record Phase(String label, long ok, long errors, double seconds, Latencies latencies) {
    double perSecond() {
      return ok / seconds;
    }

    Phase labelled(String name) {
      return new Phase(name, ok, errors, seconds, latencies);
    }
  }

  public static void main(String[] args) throws Exception {
    Map<String, String> o = new LinkedHashMap<>(Map.of("--seconds", "15", "--concurrency", "8", "--rounds", "2",
        "--connections", "300", "--jar", "modules/app/target/modelplane.jar"));
    for (int i = 0; i + 1 < args.length; i += 2) {
      if (!o.containsKey(args[i])) {
        System.err.println("usage: TlsBenchmark [--seconds 15] [--concurrency 8] [--rounds 2] [--connections 300]"
            + " [--jar PATH]");
        System.exit(2);
      }
      o.put(args[i], args[i + 1]);
    }
    Duration seconds = Duration.ofSeconds(Long.parseLong(o.get("--seconds")));
    int concurrency = Integer.parseInt(o.get("--concurrency"));
    int rounds = Integer.parseInt(o.get("--rounds"));
    int connections = Integer.parseInt(o.get("--connections"));
    Reporter out = new Reporter();
    Path workDir = Path.of("modules/bench/target",
        "bench-tls-" + LocalDateTime.now().format(DateTimeFormatter.ofPattern("yyyyMMdd-HHmmss"))).toAbsolutePath();
    Files.createDirectories(workDir);
    String loadBefore = InferenceBenchmark.loadAverage();
    out.progress("work directory " + workDir + "; load average " + loadBefore);

    String password = HexFormat.of().formatHex(random(12));
    Path keystore = workDir.resolve("server.p12");
    Path cert = workDir.resolve("server.crt");
    keytool("-genkeypair", "-alias", "server", "-keyalg", "EC", "-groupname", "secp256r1", "-dname", "CN=127.0.0.1",
        "-ext", "san=ip:127.0.0.1", "-validity", "2", "-storetype", "PKCS12", "-keystore", keystore.toString(),
        "-storepass", password, "-keypass", password);
    keytool("-exportcert", "-rfc", "-alias", "server", "-keystore", keystore.toString(), "-storepass", password,
        "-file", cert.toString());
    SSLContext trust = OutgoingTrust.withExtraCa(cert).sslContext();

    BenchModel model = BenchModel.digits(workDir, new int[] {32, 2});
    List<BenchModel.Request> bodies = model.requests(64, false);
    String operatorKey = "mp_operator_" + HexFormat.of().formatHex(random(16));
    Path jar = Path.of(o.get("--jar"));
    try (ServerProcess plain = ServerProcess.start(jar, workDir.resolve("plain/data"), workDir.resolve("plain.log"),
            operatorKey, "", Map.of("MODELPLANE_MANAGEMENT_PORT", "0"));
         ServerProcess tls = ServerProcess.start(jar, workDir.resolve("tls/data"), workDir.resolve("tls.log"),
            operatorKey, "", Map.of("MODELPLANE_MANAGEMENT_PORT", "0", "MODELPLANE_TLS_KEYSTORE", keystore.toString(),
                "MODELPLANE_TLS_KEYSTORE_PASSWORD", password))) {
      HttpClient http = BenchMain.httpClient();
      HttpClient https = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).sslContext(trust)
          .connectTimeout(Duration.ofSeconds(5)).build();
      URI plainBase = URI.create("http://127.0.0.1:" + plain.httpPort());
      URI tlsBase = URI.create("https://127.0.0.1:" + tls.httpPort());
      String plainKey = provision(http, plainBase, operatorKey, model, out);
      String tlsKey = provision(https, tlsBase, operatorKey, model, out);
      Load plainLoad = new Load(SocketFactory.getDefault(), plain.httpPort(), plainKey, model.name(), bodies);
      Load tlsLoad = new Load(trust.getSocketFactory(), tls.httpPort(), tlsKey, model.name(), bodies);
      out.progress("warm-up, 5 s each");
      plainLoad.run(concurrency, Duration.ofSeconds(5));
      tlsLoad.run(concurrency, Duration.ofSeconds(5));
      List<Phase> phases = new ArrayList<>();
      for (int round = 1; round <= rounds; round++) {
        for (boolean secure : round % 2 == 1 ? new boolean[] {false, true} : new boolean[] {true, false}) {
          Phase p = (secure ? tlsLoad : plainLoad).run(concurrency, seconds)
              .labelled((secure ? "HTTPS" : "HTTP") + " keep-alive #" + round);
          report(out, p);
          phases.add(p);
        }
      }
      Phase plainConnect = plainLoad.connections(connections).labelled("HTTP new connection + predict");
      report(out, plainConnect);
      Phase tlsConnect = tlsLoad.connections(connections).labelled("HTTPS new connection (handshake) + predict");
      report(out, tlsConnect);
      System.out.println(table(phases, plainConnect, tlsConnect, concurrency, seconds, loadBefore,
          InferenceBenchmark.loadAverage(), String.join(" ", args)));
    }
  }

  private static byte[] random(int n) {
    byte[] b = new byte[n];
    new SecureRandom().nextBytes(b);
    return b;
  }

  private static void keytool(String... args) throws IOException, InterruptedException {
    List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "keytool").toString()));
    command.addAll(List.of(args));
    Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
    String output = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    if (p.waitFor() != 0) {
      throw new IOException("keytool failed: " + output);
    }
  }

  static String provision(HttpClient http, URI base, String operatorKey, BenchModel model, Reporter out)
      throws IOException, InterruptedException {
    return provision(http, base, operatorKey, model, null, out);
  }

  /** As above, the deployment with {@code engineThreads} (null: the server's default). */
  static String provision(HttpClient http, URI base, String operatorKey, BenchModel model, Integer engineThreads,
      Reporter out) throws IOException, InterruptedException {
    long deadline = System.nanoTime() + SERVER_START.toNanos();
    while (true) {
      try {
        if (http.send(HttpRequest.newBuilder(base.resolve("/v2/health/ready")).timeout(Duration.ofSeconds(5)).build(),
            HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
          break;
        }
      } catch (IOException e) {
        // not listening yet
      }
      if (System.nanoTime() > deadline) {
        throw new IOException("the server at " + base + " was not ready within " + SERVER_START.toSeconds() + " s");
      }
      Thread.sleep(250);
    }
    ModelPlaneClient client = new ModelPlaneClient(http, base, operatorKey);
    client.createTenant(TENANT);
    String key = client.createApiKey(TENANT);
    int version = client.upload(key, TENANT, model.name(), model.manifestJson(), model.artifact());
    client.deploy(key, TENANT, model.name(), version, model.maxBatchSize(), model.maxBatchDelayMs(), engineThreads);
    client.awaitReady(key, model.name(), MODEL_READY);
    out.progress(base + ": " + model.name() + " v" + version + " ready (batch " + model.maxBatchSize() + " / "
        + model.maxBatchDelayMs() + " ms)");
    return key;
  }

  static void report(Reporter out, Phase p) {
    out.progress(String.format("%s: %d ok, %d errors, %.0f req/s, p50 %.3f ms, p99 %.3f ms", p.label(), p.ok(),
        p.errors(), p.perSecond(), p.latencies().p50(), p.latencies().p99()));
  }

  /** A closed-loop client: each thread holds one connection and one request in flight. */
  static final class Load {
    private final SocketFactory sockets;
    private final int port;
    private final List<byte[]> requests = new ArrayList<>();

    Load(SocketFactory sockets, int port, String key, String model, List<BenchModel.Request> bodies) {
      this.sockets = sockets;
      this.port = port;
      for (BenchModel.Request body : bodies) {
        byte[] head = ("POST /v2/models/" + model + "/infer HTTP/1.1\r\nHost: 127.0.0.1:" + port
            + "\r\nAuthorization: Bearer " + key + "\r\n"
            + (body.binary() ? "Content-Type: application/octet-stream\r\n" + ModelPlaneClient.BINARY_HEADER + ": "
                + body.jsonLength() + "\r\n" : "Content-Type: application/json\r\n")
            + "Content-Length: " + body.body().length + "\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        byte[] request = new byte[head.length + body.body().length];
        System.arraycopy(head, 0, request, 0, head.length);
        System.arraycopy(body.body(), 0, request, head.length, body.body().length);
        requests.add(request);
      }
    }

    private Socket open() throws IOException {
      Socket socket = sockets.createSocket("127.0.0.1", port);
      socket.setTcpNoDelay(true);
      socket.setSoTimeout(30_000);
      if (socket instanceof SSLSocket ssl) {
        ssl.startHandshake();
      }
      return socket;
    }

    /** {@code concurrency} keep-alive connections for {@code duration}. */
    Phase run(int concurrency, Duration duration) throws InterruptedException {
      SteadyWindow window = new SteadyWindow(duration);
      AtomicLong errors = new AtomicLong();
      List<long[]> samples = new ArrayList<>();
      int[] counts = new int[concurrency];
      List<Thread> threads = new ArrayList<>();
      for (int t = 0; t < concurrency; t++) {
        int index = t;
        long[][] mine = {new long[1024]};
        samples.add(null);
        Thread thread = new Thread(() -> {
          int n = 0;
          try (Socket socket = open()) {
            OutputStream out = socket.getOutputStream();
            InputStream in = new BufferedInputStream(socket.getInputStream(), 16 * 1024);
            for (int i = index; window.running(); i++) {
              long sent = System.nanoTime();
              out.write(requests.get(i % requests.size()));
              out.flush();
              if (readResponse(in) == 200) {
                long answered = System.nanoTime();
                window.answered(answered);
                mine[0] = Latencies.ensure(mine[0], n);
                mine[0][n++] = answered - sent;
              } else {
                errors.incrementAndGet();
              }
            }
          } catch (IOException e) {
            errors.incrementAndGet();
          }
          counts[index] = n;
          synchronized (samples) {
            samples.set(index, mine[0]);
          }
        }, "load-" + t);
        threads.add(thread);
        thread.start();
      }
      for (Thread thread : threads) {
        thread.join();
      }
      return merge(samples, counts, errors.get(), window);
    }

    /** {@code count} requests, each on a connection of its own (connect, handshake, one predict, close). */
    Phase connections(int count) {
      long[] nanos = new long[count];
      int n = 0;
      long errors = 0;
      long start = System.nanoTime();
      for (int i = 0; i < count; i++) {
        long began = System.nanoTime();
        try (Socket socket = open()) {
          socket.getOutputStream().write(requests.get(i % requests.size()));
          socket.getOutputStream().flush();
          if (readResponse(new BufferedInputStream(socket.getInputStream())) == 200) {
            nanos[n++] = System.nanoTime() - began;
          } else {
            errors++;
          }
        } catch (IOException e) {
          errors++;
        }
      }
      return new Phase("", n, errors, (System.nanoTime() - start) / 1e9, Latencies.of(nanos, n));
    }

    /** The clients' latencies (every answer's) and the answers {@code window} held, over its length. */
    static Phase merge(List<long[]> samples, int[] counts, long errors, SteadyWindow window) {
      int total = 0;
      for (int c : counts) {
        total += c;
      }
      long[] all = new long[total];
      int at = 0;
      for (int t = 0; t < counts.length; t++) {
        if (samples.get(t) != null) {
          System.arraycopy(samples.get(t), 0, all, at, counts[t]);
          at += counts[t];
        }
      }
      return new Phase("", window.count(), errors, window.seconds(), Latencies.of(all, at));
    }

    /** Reads one response (Content-Length or chunked body) and returns its status. */
    private static int readResponse(InputStream in) throws IOException {
      StringBuilder head = new StringBuilder();
      int state = 0;
      while (state < 4) {
        int b = in.read();
        if (b < 0) {
          throw new IOException("connection closed");
        }
        head.append((char) b);
        state = (b == '\r' && state % 2 == 0) || (b == '\n' && state % 2 == 1) ? state + 1 : b == '\r' ? 1 : 0;
      }
      String[] lines = head.toString().split("\r\n");
      int status = Integer.parseInt(lines[0].split(" ")[1]);
      long length = -1;
      boolean chunked = false;
      for (String line : lines) {
        String lower = line.toLowerCase(Locale.ROOT);
        if (lower.startsWith("content-length:")) {
          length = Long.parseLong(lower.substring(15).trim());
        } else if (lower.startsWith("transfer-encoding:") && lower.contains("chunked")) {
          chunked = true;
        }
      }
      if (chunked) {
        while (true) {
          StringBuilder size = new StringBuilder();
          int b;
          while ((b = in.read()) != '\n') {
            if (b < 0) {
              throw new IOException("connection closed");
            }
            size.append((char) b);
          }
          long n = Long.parseLong(size.toString().trim(), 16);
          in.skipNBytes(n + 2);
          if (n == 0) {
            break;
          }
        }
      } else if (length > 0) {
        in.skipNBytes(length);
      }
      return status;
    }
  }

  private static String table(List<Phase> phases, Phase plainConnect, Phase tlsConnect, int concurrency,
      Duration seconds, String loadBefore, String loadAfter, String args) {
    StringBuilder md = new StringBuilder();
    md.append("Command: `modules/bench/run.sh tls").append(args.isBlank() ? "" : " " + args).append("`; ")
        .append(concurrency).append(" keep-alive connections, ").append(seconds.toSeconds())
        .append(" s a phase; load average before ").append(loadBefore).append(", after ").append(loadAfter)
        .append(".\n\n| phase | req/s | p50 ms | p99 ms | errors |\n|---|---:|---:|---:|---:|\n");
    double[] plain = new double[3];
    double[] tls = new double[3];
    for (Phase p : phases) {
      md.append(String.format("| %s | %.0f | %.3f | %.3f | %d |%n", p.label(), p.perSecond(), p.latencies().p50(),
          p.latencies().p99(), p.errors()));
      double[] sum = p.label().startsWith("HTTPS") ? tls : plain;
      sum[0] += p.perSecond();
      sum[1] += p.latencies().p50();
      sum[2] += p.latencies().p99();
    }
    for (Phase p : List.of(plainConnect, tlsConnect)) {
      md.append(String.format("| %s | %.0f | %.3f | %.3f | %d |%n", p.label(), p.perSecond(), p.latencies().p50(),
          p.latencies().p99(), p.errors()));
    }
    md.append(String.format("%nHTTPS / HTTP, keep-alive (mean of the rounds): throughput %.2f, p50 latency %.2f, p99"
        + " latency %.2f; a new connection with its handshake: p50 %.2f.%n", tls[0] / plain[0], tls[1] / plain[1],
        tls[2] / plain[2], tlsConnect.latencies().p50() / plainConnect.latencies().p50()));
    return md.toString();
  }
}
