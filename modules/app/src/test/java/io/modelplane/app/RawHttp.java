package io.modelplane.app;

import com.fasterxml.jackson.databind.JsonNode;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;

/**
 * HTTP/1.1 over a plain socket from a chosen local address: for requests a client library would
 * refuse or normalise, and for clients that must come from several addresses (Linux routes all of
 * 127/8 to the loopback interface).
 */
final class RawHttp {
  /** A response: status, headers (names in lower case) and body. */
  record Response(int status, Map<String, String> headers, String body) {
    @Override
    public String toString() {
      return status + " " + headers + " " + body;
    }

    JsonNode json() {
      try {
        return ApiClient.JSON.readTree(body);
      } catch (IOException e) {
        throw new AssertionError("not JSON (" + status + "): " + body, e);
      }
    }

    String contentType() {
      return headers.get("content-type");
    }
  }

  private RawHttp() {}

  /** Sends {@code request} (bytes as given) from {@code local} and reads one response; the connection is then closed. */
  static Response exchange(InetSocketAddress server, String local, byte[] request, Duration timeout) {
    try (Socket socket = connect(server, local)) {
      socket.setSoTimeout((int) timeout.toMillis());
      socket.getOutputStream().write(request);
      socket.getOutputStream().flush();
      return read(socket.getInputStream());
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Response exchange(InetSocketAddress server, String request) {
    return exchange(server, "127.0.0.1", request.getBytes(StandardCharsets.ISO_8859_1), Duration.ofSeconds(10));
  }

  /** A GET/POST with {@code Connection: close}; {@code body} may be null. */
  static String request(String method, String path, Map<String, String> headers, String body) {
    StringBuilder b = new StringBuilder(method).append(' ').append(path).append(" HTTP/1.1\r\nHost: modelplane\r\n");
    headers.forEach((name, value) -> b.append(name).append(": ").append(value).append("\r\n"));
    if (body != null) {
      b.append("Content-Type: application/json\r\nContent-Length: ")
          .append(body.getBytes(StandardCharsets.UTF_8).length).append("\r\n");
    }
    b.append("Connection: close\r\n\r\n");
    if (body != null) {
      b.append(body);
    }
    return b.toString();
  }

  static Socket connect(InetSocketAddress server, String local) throws IOException {
    return connect(server, local, Duration.ofSeconds(5));
  }

  static Socket connect(InetSocketAddress server, String local, Duration timeout) throws IOException {
    Socket socket = new Socket();
    try {
      socket.bind(new InetSocketAddress(InetAddress.getByName(local), 0));
      socket.connect(server, (int) timeout.toMillis());
    } catch (IOException e) {
      socket.close();
      throw e;
    }
    return socket;
  }

  static Response read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    int matched = 0;
    while (matched < 4) {
      int c = in.read();
      if (c < 0) {
        throw new IOException("connection closed before a complete response head: " + head);
      }
      head.write(c);
      matched = (c == '\r' && (matched == 0 || matched == 2)) || (c == '\n' && (matched == 1 || matched == 3))
          ? matched + 1 : 0;
    }
    String[] lines = head.toString(StandardCharsets.ISO_8859_1).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    Map<String, String> headers = new HashMap<>();
    for (int i = 1; i < lines.length; i++) {
      int colon = lines[i].indexOf(':');
      if (colon > 0) {
        headers.put(lines[i].substring(0, colon).trim().toLowerCase(), lines[i].substring(colon + 1).trim());
      }
    }
    byte[] body;
    if (headers.containsKey("content-length")) {
      body = in.readNBytes(Integer.parseInt(headers.get("content-length")));
    } else {
      body = in.readAllBytes();
    }
    return new Response(status, headers, new String(body, StandardCharsets.UTF_8));
  }
}
