package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.api.DiskGuard;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Arrays;
import java.util.Comparator;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Uploads against a real file system's free space: the node's artifact store on a RAM file system (steady,
 * unlike a disk that other processes write to; the journal stays elsewhere), its minimum free space set a
 * little under what is free.
 */
class DiskGuardTest {
  static final String OP = TestNodes.OPERATOR_KEY;
  static final long MIB = 1024 * 1024;
  // what is free may move by this much while the tests run (others' files); uploads are several times larger
  static final long MARGIN = 64 * MIB;

  @TempDir static Path dataDir;
  static Path artifacts;
  static long minFree;
  static Main.Node node;
  static ApiClient api;
  static String dev;

  @BeforeAll
  static void start() throws Exception {
    Path shm = Path.of("/dev/shm");
    artifacts = Files.createTempDirectory(Files.isDirectory(shm) && Files.isWritable(shm) ? shm : dataDir,
        "modelplane-artifacts-");
    minFree = Files.getFileStore(artifacts).getUsableSpace() - MARGIN;
    node = TestNodes.start(dataDir, Map.of("modelplane.disk-min-free", String.valueOf(minFree),
        "modelplane.artifacts.local-dir", artifacts.toString()));
    api = new ApiClient(node.baseUrl());
    assertThat(api.post("/api/v1/tenants", OP, Map.of("id", "disk-co", "displayName", "Disk")).status()).isEqualTo(201);
    dev = api.post("/api/v1/tenants/disk-co/api-keys", OP, Map.of("name", "d", "role", "developer"))
        .json().get("key").asText();
  }

  @AfterAll
  static void stop() throws IOException {
    if (node != null) {
      node.stop();
    }
    try (Stream<Path> files = Files.walk(artifacts)) {
      files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
    }
  }

  @Test
  void anUploadThatFitsIsStored() {
    assertThat(api.upload("disk-co", "small", dev, ApiClient.digitsManifest(), TestNodes.digitsModel()).status())
        .isEqualTo(201);
  }

  @Test
  void anUploadThatWouldLeaveTooLittleFreeIsRefusedBeforeAByteIsRead() throws Exception {
    long before = storedFiles();
    // its Content-Length is more than the margin; no byte of the body is ever sent
    Reply reply = post("too-big", 4 * MARGIN, null);
    assertThat(reply.status()).as(reply.body()).isEqualTo(507);
    JsonNode body = ApiClient.JSON.readTree(reply.body());
    assertThat(body.get("code").asText()).isEqualTo("insufficient_storage");
    assertThat(body.get("error").asText()).contains(" free, this upload needs 256.0 MiB, ", " must stay free")
        .doesNotContain(artifacts.toString()).doesNotContain("/");
    assertThat(storedFiles()).isEqualTo(before);
  }

  @Test
  void anUploadIsCutWhenTheFreeSpaceFallsUnderTheMinimumAndLeavesNothingBehind() throws Exception {
    long before = storedFiles();
    // chunked: no length to refuse it by, so its bytes fill the disk until the guard cuts it
    Reply reply = post("filling", -1, 4 * MARGIN);
    assertThat(reply.status()).as(reply.body()).isEqualTo(507);
    JsonNode body = ApiClient.JSON.readTree(reply.body());
    assertThat(body.get("code").asText()).isEqualTo("insufficient_storage");
    assertThat(body.get("error").asText()).contains("free").doesNotContain(artifacts.toString());
    TestNodes.eventually(Duration.ofSeconds(10), () -> storedFiles() == before
        && usableSpace() > minFree, "the cut upload's file removed, its space free again");
    ManagementApiTest.assertError(api.get("/api/v1/tenants/disk-co/models/filling", dev), 404, "model_not_found");
  }

  @Test
  void theMinimumIsBytesOrAShareOfTheDisk() {
    assertThat(DiskGuard.MinFree.parse("5%")).isEqualTo(new DiskGuard.MinFree(-1, 5));
    assertThat(DiskGuard.MinFree.parse("2GiB")).isEqualTo(new DiskGuard.MinFree(2L << 30, -1));
    assertThat(DiskGuard.MinFree.parse("500MB")).isEqualTo(new DiskGuard.MinFree(500_000_000L, -1));
    assertThat(DiskGuard.MinFree.parse("1073741824")).isEqualTo(new DiskGuard.MinFree(1L << 30, -1));
    assertThat(DiskGuard.MinFree.parse("0")).isEqualTo(new DiskGuard.MinFree(0, -1));
    for (String wrong : new String[] {"", "lots", "100%", "-1", "-5%", "5 %%"}) {
      assertThatThrownBy(() -> DiskGuard.MinFree.parse(wrong)).as(wrong)
          .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("MODELPLANE_DISK_MIN_FREE");
    }
  }

  record Reply(int status, String body) {}

  /**
   * A version upload over a raw connection: with {@code declared} as its Content-Length and no body (when
   * {@code chunked} is null), or {@code chunked} artifact bytes sent in chunks while the answer is awaited.
   */
  private static Reply post(String model, long declared, Long chunked) throws Exception {
    URI uri = URI.create(node.baseUrl());
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(60_000);
      OutputStream out = socket.getOutputStream();
      String boundary = "diskboundary";
      out.write(("POST /api/v1/tenants/disk-co/models/" + model + "/versions HTTP/1.1\r\nHost: localhost\r\n"
          + "Authorization: Bearer " + dev + "\r\nContent-Type: multipart/form-data; boundary=" + boundary + "\r\n"
          + (chunked == null ? "Content-Length: " + declared : "Transfer-Encoding: chunked") + "\r\n\r\n")
          .getBytes(StandardCharsets.US_ASCII));
      out.flush();
      Thread writer = null;
      if (chunked != null) {
        byte[] head = ("--" + boundary + "\r\nContent-Disposition: form-data; name=\"manifest\"\r\nContent-Type:"
            + " application/json\r\n\r\n" + ApiClient.JSON.writeValueAsString(ApiClient.manifest()) + "\r\n--" + boundary
            + "\r\nContent-Disposition: form-data; name=\"artifact\"; filename=\"m.pt\"\r\nContent-Type:"
            + " application/octet-stream\r\n\r\n").getBytes(StandardCharsets.US_ASCII);
        writer = new Thread(() -> {
          try {
            chunk(out, head);
            byte[] block = new byte[(int) MIB];
            Arrays.fill(block, (byte) 7);
            for (long sent = 0; sent < chunked; sent += block.length) {
              chunk(out, block);
            }
            chunk(out, ("\r\n--" + boundary + "--\r\n").getBytes(StandardCharsets.US_ASCII));
            out.write("0\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
          } catch (IOException e) {
            // the server answered and closed the connection mid-upload: expected
          }
        });
        writer.start();
      }
      Reply reply = read(socket.getInputStream());
      if (writer != null) {
        socket.close();
        writer.join(10_000);
      }
      return reply;
    }
  }

  private static void chunk(OutputStream out, byte[] bytes) throws IOException {
    out.write((Integer.toHexString(bytes.length) + "\r\n").getBytes(StandardCharsets.US_ASCII));
    out.write(bytes);
    out.write("\r\n".getBytes(StandardCharsets.US_ASCII));
  }

  /** The status and body of a response with a Content-Length (as the API's JSON errors have). */
  private static Reply read(InputStream in) throws IOException {
    ByteArrayOutputStream head = new ByteArrayOutputStream();
    while (!head.toString(StandardCharsets.US_ASCII).endsWith("\r\n\r\n")) {
      int b = in.read();
      if (b < 0) {
        throw new IOException("the connection closed before a response: " + head);
      }
      head.write(b);
    }
    String[] lines = head.toString(StandardCharsets.US_ASCII).split("\r\n");
    int status = Integer.parseInt(lines[0].split(" ")[1]);
    int length = Arrays.stream(lines).filter(l -> l.toLowerCase().startsWith("content-length:"))
        .mapToInt(l -> Integer.parseInt(l.substring(15).trim())).findFirst().orElse(0);
    return new Reply(status, new String(in.readNBytes(length), StandardCharsets.UTF_8));
  }

  private static long usableSpace() {
    try {
      return Files.getFileStore(artifacts).getUsableSpace();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Files in the artifact store, its temporary uploads included. */
  private static long storedFiles() {
    try (Stream<Path> files = Files.walk(artifacts)) {
      return files.filter(Files::isRegularFile).count();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
