package io.modelplane.bench;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.net.InetSocketAddress;
import java.net.StandardSocketOptions;
import java.nio.ByteBuffer;
import java.nio.channels.SelectionKey;
import java.nio.channels.Selector;
import java.nio.channels.SocketChannel;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicLong;

/**
 * A closed-loop HTTP/1.1 load generator on raw non-blocking sockets: {@code concurrency} keep-alive
 * connections, each with exactly one request outstanding, a new one sent as soon as the answer is
 * in. A few selector threads drive them all, so the generator takes little CPU from the server it
 * shares the machine with. Bounded by time and by a request count; every latency of a 200 is kept,
 * anything else counts as an error by status.
 */
final class LoadGenerator {

  /** What one phase did. Latencies are of 200 answers only. */
  record Result(int concurrency, long ok, long errors, Map<String, Long> errorsByKind, String firstError,
      long elapsedNanos, Latencies latencies, long clientCpuNanos) {

    double okPerSecond() {
      return ok / (elapsedNanos / 1e9);
    }

    /** CPU cores the generator's own threads kept busy on average. */
    double clientCores() {
      return clientCpuNanos / (double) elapsedNanos;
    }
  }

  private final InetSocketAddress address;
  private final List<ByteBuffer> requests;

  /** One request of a mix: its path, its bearer credential and its body. */
  record Target(String path, String apiKey, BenchModel.Request request) {}

  /** Requests POSTing each body to {@code path} with a bearer credential, cycled through by the connections. */
  LoadGenerator(InetSocketAddress address, String path, String apiKey, List<BenchModel.Request> bodies) {
    this(address, bodies.stream().map(r -> new Target(path, apiKey, r)).toList());
  }

  /** Requests of a mix (e.g. many models of many tenants), cycled through in this order by the connections. */
  LoadGenerator(InetSocketAddress address, List<Target> targets) {
    this.address = address;
    List<ByteBuffer> built = new ArrayList<>(targets.size());
    for (Target target : targets) {
      BenchModel.Request r = target.request();
      String path = target.path();
      String apiKey = target.apiKey();
      byte[] body = r.body();
      byte[] head = ("POST " + path + " HTTP/1.1\r\n"
          + "Host: " + address.getHostString() + ":" + address.getPort() + "\r\n"
          + "Authorization: Bearer " + apiKey + "\r\n"
          + (r.binary()
              ? "Content-Type: application/octet-stream\r\n" + ModelPlaneClient.BINARY_HEADER + ": " + r.jsonLength() + "\r\n"
              : "Content-Type: application/json\r\n")
          + "Content-Length: " + body.length + "\r\n"
          + "\r\n").getBytes(StandardCharsets.US_ASCII);
      ByteBuffer request = ByteBuffer.allocateDirect(head.length + body.length);
      request.put(head).put(body).flip();
      built.add(request.asReadOnlyBuffer());
    }
    this.requests = List.copyOf(built);
  }

  /**
   * Runs {@code concurrency} closed-loop connections on {@code threads} selector threads for
   * {@code duration} or {@code maxRequests} requests, whichever ends first; answers still missing
   * {@code grace} after that count as errors.
   */
  Result run(int concurrency, int threads, Duration duration, long maxRequests, Duration grace)
      throws IOException, InterruptedException {
    int workers = Math.max(1, Math.min(threads, concurrency));
    List<List<SocketChannel>> channels = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      channels.add(new ArrayList<>());
    }
    try {
      for (int c = 0; c < concurrency; c++) {
        channels.get(c % workers).add(connect());
      }
    } catch (IOException e) {
      channels.forEach(list -> list.forEach(LoadGenerator::closeQuietly));
      throw new IOException("cannot open " + concurrency + " connections to " + address + ": " + e.getMessage(), e);
    }
    AtomicLong issued = new AtomicLong();
    long start = System.nanoTime();
    long deadline = start + duration.toNanos();
    long hardStop = deadline + grace.toNanos();
    List<Worker> running = new ArrayList<>();
    List<Thread> threadsStarted = new ArrayList<>();
    for (int w = 0; w < workers; w++) {
      Worker worker = new Worker(channels.get(w), w, issued, maxRequests, deadline, hardStop);
      Thread t = new Thread(worker, "loadgen-" + w);
      t.setDaemon(true);
      running.add(worker);
      threadsStarted.add(t);
      t.start();
    }
    for (Thread t : threadsStarted) {
      t.join();
    }
    long elapsed = 0;
    long ok = 0;
    long errors = 0;
    long cpu = 0;
    int total = 0;
    Map<String, Long> kinds = new TreeMap<>();
    String firstError = null;
    for (Worker w : running) {
      if (w.failure != null) {
        throw new IOException("load generator thread failed: " + w.failure, w.failure);
      }
      elapsed = Math.max(elapsed, w.lastAnswerAt - start);
      ok += w.ok;
      errors += w.errors;
      cpu += w.cpuNanos;
      total += w.count;
      w.errorKinds.forEach((k, v) -> kinds.merge(k, v, Long::sum));
      if (firstError == null) {
        firstError = w.firstError;
      }
    }
    long[] all = new long[total];
    int offset = 0;
    for (Worker w : running) {
      System.arraycopy(w.nanos, 0, all, offset, w.count);
      offset += w.count;
    }
    // throughput over the time the answers took: the duration, or less when maxRequests ended it
    return new Result(concurrency, ok, errors, kinds, firstError, Math.max(1, elapsed), Latencies.of(all, total), cpu);
  }

  private SocketChannel connect() throws IOException {
    SocketChannel ch = SocketChannel.open();
    try {
      ch.setOption(StandardSocketOptions.TCP_NODELAY, true);
      ch.connect(address);
      ch.configureBlocking(false);
      return ch;
    } catch (IOException e) {
      closeQuietly(ch);
      throw e;
    }
  }

  private static void closeQuietly(SocketChannel ch) {
    try {
      ch.close();
    } catch (IOException e) {
      // nothing to do
    }
  }

  /** One keep-alive connection and its single outstanding request. */
  private static final class Connection {
    SocketChannel channel;
    SelectionKey key;
    ByteBuffer out;
    ByteBuffer in = ByteBuffer.allocate(16 * 1024);
    long sentAt;
    boolean busy;
    int next;
  }

  /** One selector thread driving its share of the connections. */
  private final class Worker implements Runnable {
    private final List<SocketChannel> initial;
    private final AtomicLong issued;
    private final long maxRequests;
    private final long deadline;
    private final long hardStop;
    private final HttpResponseParser parser = new HttpResponseParser();
    long[] nanos = new long[64 * 1024];
    int count;
    long ok;
    long errors;
    long cpuNanos;
    long lastAnswerAt;
    final Map<String, Long> errorKinds = new TreeMap<>();
    String firstError;
    Throwable failure;
    private Selector selector;
    private int outstanding;
    // which request body the next connection opened starts with: connections spread over the bodies
    private int next;

    Worker(List<SocketChannel> initial, int index, AtomicLong issued, long maxRequests, long deadline, long hardStop) {
      this.initial = initial;
      this.issued = issued;
      this.maxRequests = maxRequests;
      this.deadline = deadline;
      this.hardStop = hardStop;
      this.next = index;
    }

    @Override
    public void run() {
      ThreadMXBean mx = ManagementFactory.getThreadMXBean();
      long cpuStart = mx.getCurrentThreadCpuTime();
      List<Connection> connections = new ArrayList<>();
      try (Selector s = Selector.open()) {
        selector = s;
        for (SocketChannel ch : initial) {
          Connection c = new Connection();
          c.channel = ch;
          c.key = ch.register(selector, 0, c);
          c.next = next++;
          connections.add(c);
        }
        for (Connection c : connections) {
          send(c, System.nanoTime());
        }
        lastAnswerAt = System.nanoTime();
        while (outstanding > 0) {
          long now = System.nanoTime();
          if (now >= hardStop) {
            error("no answer within the grace period", null, outstanding);
            break;
          }
          selector.select(Math.max(1, Math.min(100, (hardStop - now) / 1_000_000)));
          for (SelectionKey key : selector.selectedKeys()) {
            Connection c = (Connection) key.attachment();
            if (!key.isValid()) {
              continue;
            }
            if (key.isWritable()) {
              write(c);
            } else if (key.isReadable()) {
              read(c);
            }
          }
          selector.selectedKeys().clear();
        }
      } catch (Throwable t) {
        failure = t;
      } finally {
        for (Connection c : connections) {
          closeQuietly(c.channel);
        }
        cpuNanos = mx.getCurrentThreadCpuTime() - cpuStart;
      }
    }

    /** Sends the connection's next request, unless the phase is over (time or count). */
    private void send(Connection c, long now) throws IOException {
      if (now >= deadline || issued.incrementAndGet() > maxRequests) {
        c.busy = false;
        c.key.interestOps(0);
        return;
      }
      ByteBuffer request = requests.get(c.next++ % requests.size()).duplicate();
      c.out = request;
      c.busy = true;
      outstanding++;
      c.sentAt = System.nanoTime();
      write(c);
    }

    private void write(Connection c) throws IOException {
      try {
        c.channel.write(c.out);
      } catch (IOException e) {
        lost(c, "write failed: " + e.getMessage());
        return;
      }
      c.key.interestOps(c.out.hasRemaining() ? SelectionKey.OP_WRITE : SelectionKey.OP_READ);
    }

    private void read(Connection c) throws IOException {
      if (!c.in.hasRemaining()) {
        ByteBuffer bigger = ByteBuffer.allocate(c.in.capacity() * 2);
        c.in.flip();
        bigger.put(c.in);
        c.in = bigger;
      }
      int n;
      try {
        n = c.channel.read(c.in);
      } catch (IOException e) {
        lost(c, "read failed: " + e.getMessage());
        return;
      }
      if (n < 0) {
        lost(c, "connection closed by the server");
        return;
      }
      int length = parser.parse(c.in.array(), c.in.position());
      if (length < 0) {
        return;
      }
      long now = System.nanoTime();
      lastAnswerAt = now;
      outstanding--;
      c.busy = false;
      if (parser.status() == 200) {
        ok++;
        nanos = Latencies.ensure(nanos, count);
        nanos[count++] = now - c.sentAt;
      } else {
        error(String.valueOf(parser.status()), new String(c.in.array(), 0, Math.min(c.in.position(), 600),
            StandardCharsets.ISO_8859_1), 1);
      }
      c.in.clear();
      if (parser.closes()) {
        reconnect(c);
      }
      send(c, now);
    }

    /** The connection broke: its request (if any) is an error; a fresh connection takes its place. */
    private void lost(Connection c, String why) throws IOException {
      if (c.busy) {
        outstanding--;
        c.busy = false;
        error(why, null, 1);
      }
      reconnect(c);
      send(c, System.nanoTime());
    }

    private void reconnect(Connection c) throws IOException {
      c.key.cancel();
      closeQuietly(c.channel);
      c.in.clear();
      c.channel = connect();
      c.key = c.channel.register(selector, 0, c);
    }

    private void error(String kind, String detail, long n) {
      errors += n;
      errorKinds.merge(kind, n, Long::sum);
      if (firstError == null) {
        firstError = kind + (detail == null ? "" : ": " + detail.replace("\r\n", " | "));
      }
    }
  }

  /** Finds where an HTTP/1.1 response ends (Content-Length or chunked) and reads its status and Connection header. */
  static final class HttpResponseParser {
    private int status;
    private boolean closes;

    int status() {
      return status;
    }

    boolean closes() {
      return closes;
    }

    /** The length of the complete response at {@code b[0..limit)}, or -1 while more bytes are needed. */
    int parse(byte[] b, int limit) {
      int headerEnd = indexOfCrlfCrlf(b, 0, limit);
      if (headerEnd < 0) {
        return -1;
      }
      String head = new String(b, 0, headerEnd, StandardCharsets.ISO_8859_1);
      String[] lines = head.split("\r\n");
      status = lines[0].length() >= 12 ? Integer.parseInt(lines[0].substring(9, 12)) : -1;
      closes = false;
      long contentLength = -1;
      boolean chunked = false;
      for (int i = 1; i < lines.length; i++) {
        int colon = lines[i].indexOf(':');
        if (colon <= 0) {
          continue;
        }
        String name = lines[i].substring(0, colon).trim().toLowerCase(Locale.ROOT);
        String value = lines[i].substring(colon + 1).trim().toLowerCase(Locale.ROOT);
        switch (name) {
          case "content-length" -> contentLength = Long.parseLong(value);
          case "transfer-encoding" -> chunked = value.contains("chunked");
          case "connection" -> closes = value.contains("close");
          default -> { }
        }
      }
      int bodyStart = headerEnd + 4;
      if (chunked) {
        return chunkedEnd(b, bodyStart, limit);
      }
      long end = bodyStart + Math.max(0, contentLength);
      return limit >= end ? (int) end : -1;
    }

    private static int chunkedEnd(byte[] b, int pos, int limit) {
      while (true) {
        int lineEnd = indexOfCrlf(b, pos, limit);
        if (lineEnd < 0) {
          return -1;
        }
        String sizeLine = new String(b, pos, lineEnd - pos, StandardCharsets.ISO_8859_1);
        int semicolon = sizeLine.indexOf(';');
        int size = Integer.parseInt((semicolon >= 0 ? sizeLine.substring(0, semicolon) : sizeLine).trim(), 16);
        pos = lineEnd + 2;
        if (size == 0) {
          // optional trailers, then an empty line
          int end = pos >= 2 ? indexOfCrlfCrlf(b, pos - 2, limit) : -1;
          return end < 0 ? -1 : end + 4;
        }
        pos += size + 2;
        if (pos > limit) {
          return -1;
        }
      }
    }

    private static int indexOfCrlfCrlf(byte[] b, int from, int limit) {
      for (int i = from; i + 3 < limit; i++) {
        if (b[i] == '\r' && b[i + 1] == '\n' && b[i + 2] == '\r' && b[i + 3] == '\n') {
          return i;
        }
      }
      return -1;
    }

    private static int indexOfCrlf(byte[] b, int from, int limit) {
      for (int i = from; i + 1 < limit; i++) {
        if (b[i] == '\r' && b[i + 1] == '\n') {
          return i;
        }
      }
      return -1;
    }
  }
}
