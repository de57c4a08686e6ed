package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.http.javadsl.Http;
import akka.http.javadsl.ServerBinding;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.URLClassLoader;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

/** The web app routes over real HTTP: a test bundle from the test classpath, one from a jar, and none. */
class WebAppRoutesTest {
  static final String JS = "/portal/assets/index-B7x_q9Zk.js";
  static final String ISSUER = "https://login.example.com:8443/realms/modelplane";
  static final ActorTestKit testKit = ActorTestKit.create();
  static final HttpClient client = HttpClient.newBuilder().followRedirects(HttpClient.Redirect.NEVER).build();
  static String fromFolder;
  static String fromJar;
  static String missing;
  /** The portal and the console side by side, as {@link HttpApi} serves them. */
  static String twoApps;
  static byte[] index;

  @BeforeAll
  static void start(@TempDir Path dir) throws Exception {
    ClassLoader loader = WebAppRoutesTest.class.getClassLoader();
    index = loader.getResourceAsStream("io/modelplane/api/test-web-app/index.html").readAllBytes();
    fromFolder = bind(new WebAppRoutes("portal", "io/modelplane/api/test-web-app", loader, List.of("https://login.example.com:8443"), "not built"));

    Path jar = dir.resolve("bundle.jar");
    try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar))) {
      for (String folder : List.of("web/", "web/app/", "web/app/assets/")) {
        out.putNextEntry(new JarEntry(folder));
        out.closeEntry();
      }
      entry(out, "web/app/index.html", index);
      entry(out, "web/app/assets/main-Q1w2E3r4.js", "console.log(1)".getBytes(StandardCharsets.UTF_8));
    }
    URLClassLoader jarLoader = new URLClassLoader(new java.net.URL[] {jar.toUri().toURL()}, null);
    fromJar = bind(new WebAppRoutes("portal", "web/app", jarLoader, List.of(), "not built"));
    missing = bind(new WebAppRoutes("portal", "io/modelplane/api/no-such-bundle", loader, List.of(),
        "the portal is not part of this build"));
    WebAppRoutes portal = new WebAppRoutes("portal", "io/modelplane/api/test-web-app", loader, List.of(), "not built");
    WebAppRoutes console = new WebAppRoutes("console", "web/app", jarLoader, List.of(), "not built");
    twoApps = bind(() -> new AllDirectives() { }.concat(portal.route(), console.route()));
  }

  static void entry(JarOutputStream out, String name, byte[] bytes) throws IOException {
    out.putNextEntry(new JarEntry(name));
    out.write(bytes);
    out.closeEntry();
  }

  /** Serves the routes as {@link HttpApi} does: inside the API's rejection handling. */
  static String bind(WebAppRoutes routes) throws Exception {
    return bind(routes::route);
  }

  static String bind(java.util.function.Supplier<Route> routes) throws Exception {
    AllDirectives d = new AllDirectives() { };
    Route route = d.handleRejections(ErrorHandling.rejectionHandler(), routes);
    ServerBinding binding = Http.get(testKit.system()).newServerAt("127.0.0.1", 0).bind(route)
        .toCompletableFuture().get(10, TimeUnit.SECONDS);
    return "http://127.0.0.1:" + binding.localAddress().getPort();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  static HttpResponse<byte[]> get(String base, String path) throws Exception {
    return client.send(HttpRequest.newBuilder(URI.create(base + path)).GET().build(), HttpResponse.BodyHandlers.ofByteArray());
  }

  static void assertSecurityHeaders(HttpResponse<?> r) {
    String csp = r.headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("default-src 'self'", "script-src 'self';", "frame-ancestors 'none'", "base-uri 'self'",
        "form-action 'self'", "object-src 'none'");
    assertThat(csp).doesNotContain("'unsafe-eval'");
    assertThat(csp.replaceAll("style-src [^;]*;", "")).doesNotContain("unsafe-inline");
    assertThat(r.headers().firstValue("X-Content-Type-Options")).hasValue("nosniff");
    assertThat(r.headers().firstValue("Referrer-Policy")).hasValue("no-referrer");
    assertThat(r.headers().firstValue("X-Frame-Options")).hasValue("DENY");
  }

  static void assertJsonError(HttpResponse<byte[]> r, int status, String code) throws IOException {
    assertThat(r.statusCode()).isEqualTo(status);
    assertThat(r.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/json"));
    JsonNode body = Json.MAPPER.readTree(r.body());
    assertThat(body.get("code").asText()).isEqualTo(code);
    assertThat(body.get("error").asText()).isNotBlank();
  }

  @Test
  void theBareprefixRedirectsToTheFolderKeepingTheQuery() throws Exception {
    HttpResponse<byte[]> r = get(fromFolder, "/portal");
    assertThat(r.statusCode()).isEqualTo(301);
    assertThat(r.headers().firstValue("Location")).hasValue("/portal/");
    assertThat(get(fromFolder, "/portal?code=abc&state=x1").headers().firstValue("Location")).hasValue("/portal/?code=abc&state=x1");
  }

  @Test
  void indexIsServedUncachedWithTheSecurityHeaders() throws Exception {
    for (String path : List.of("/portal/", "/portal/index.html")) {
      HttpResponse<byte[]> r = get(fromFolder, path);
      assertThat(r.statusCode()).isEqualTo(200);
      assertThat(r.body()).isEqualTo(index);
      assertThat(r.headers().firstValue("Content-Type")).hasValue("text/html; charset=UTF-8");
      assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
      assertSecurityHeaders(r);
    }
  }

  @Test
  void hashedAssetsAreCachedForAYearWithTheirTypes() throws Exception {
    HttpResponse<byte[]> js = get(fromFolder, JS);
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(new String(js.body(), StandardCharsets.UTF_8)).contains("test web app");
    assertThat(js.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("application/javascript"));
    assertThat(js.headers().firstValue("Cache-Control")).hasValue("public, max-age=31536000, immutable");
    assertSecurityHeaders(js);
    HttpResponse<byte[]> css = get(fromFolder, "/portal/assets/index-Dk3-aQ1p.css");
    assertThat(css.headers().firstValue("Content-Type")).hasValueSatisfying(ct -> assertThat(ct).startsWith("text/css"));
    HttpResponse<byte[]> icon = get(fromFolder, "/portal/favicon.svg");
    assertThat(icon.headers().firstValue("Content-Type")).hasValue("image/svg+xml");
    assertThat(icon.headers().firstValue("Cache-Control")).hasValue("no-cache");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/portal/models", "/portal/models/digits", "/portal/models/iris.v2/try", "/portal/usage?range=7d"})
  void appPathsFallBackToTheIndex(String path) throws Exception {
    HttpResponse<byte[]> r = get(fromFolder, path);
    assertThat(r.statusCode()).isEqualTo(200);
    assertThat(r.body()).isEqualTo(index);
    assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
    assertSecurityHeaders(r);
  }

  @ParameterizedTest
  @ValueSource(strings = {"/portal/assets/index-OLDHASH.js", "/portal/assets/", "/portal/assets", "/portal/assets/x/y.js"})
  void aMissingAssetIs404NotThePage(String path) throws Exception {
    HttpResponse<byte[]> r = get(fromFolder, path);
    assertJsonError(r, 404, "not_found");
    assertSecurityHeaders(r);
  }

  /** Sent byte for byte (an HTTP client would normalize some of them). */
  @ParameterizedTest
  @ValueSource(strings = {"/portal/../outside-the-bundle.txt", "/portal/..%2foutside-the-bundle.txt",
      "/portal/%2e%2e/outside-the-bundle.txt", "/portal/%2E%2E/%2E%2E/api/openapi.yaml", "/portal/assets/..%2F..%2Foutside-the-bundle.txt",
      "/portal/.hidden", "/portal/index.html%00.js", "/portal/assets/%00", "/portal//etc/passwd",
      "/portal/assets/..\\..\\outside-the-bundle.txt", "/portal/%5c..%5coutside-the-bundle.txt"})
  void traversalAndOddPathsNeverLeaveTheBundle(String path) throws Exception {
    String answer = raw(fromFolder, "GET " + path + " HTTP/1.1\r\nHost: 127.0.0.1\r\nConnection: close\r\n\r\n");
    String status = answer.substring(0, answer.indexOf("\r\n"));
    assertThat(answer).doesNotContain("never served").doesNotContain("openapi: ");
    // akka-http refuses a request line it cannot parse (400, before any route); otherwise a JSON 404
    assertThat(status).matches("HTTP/1.1 (404|400) .*");
    if (status.contains("404")) {
      assertThat(answer.substring(answer.indexOf("\r\n\r\n"))).contains("\"code\":\"not_found\"");
    }
  }

  @Test
  void dotSegmentsAreResolvedBeforeRoutingSoTheyStayInsideOrLeaveThePrefix() throws Exception {
    assertThat(raw(fromFolder, "GET /portal/./assets/../index.html HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200").contains("test web app");
    assertThat(raw(fromFolder, "GET /portal/../portal/assets/index-B7x_q9Zk.js HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n"))
        .startsWith("HTTP/1.1 200");
  }

  @Test
  void otherMethodsAre405Json() throws Exception {
    HttpResponse<byte[]> r = client.send(HttpRequest.newBuilder(URI.create(fromFolder + "/portal/"))
        .POST(HttpRequest.BodyPublishers.ofString("x")).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertJsonError(r, 405, "method_not_allowed");
    assertSecurityHeaders(r);
    HttpResponse<byte[]> head = client.send(HttpRequest.newBuilder(URI.create(fromFolder + JS))
        .method("HEAD", HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofByteArray());
    assertThat(head.statusCode()).isEqualTo(200);
    assertThat(head.body()).isEmpty();
  }

  @Test
  void keycloaksOriginMayBeCalledAndFramedButNothingElse() throws Exception {
    String csp = get(fromFolder, "/portal/").headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(csp).contains("connect-src 'self' https://login.example.com:8443;", "frame-src 'self' https://login.example.com:8443;");
    assertThat(WebAppRoutes.origin(ISSUER)).isEqualTo("https://login.example.com:8443");
    assertThat(WebAppRoutes.origin("http://127.0.0.1:18080/realms/modelplane")).isEqualTo("http://127.0.0.1:18080");
    String local = get(fromJar, "/portal/").headers().firstValue("Content-Security-Policy").orElseThrow();
    assertThat(local).contains("connect-src 'self';").doesNotContain("example.com");
  }

  @Test
  void aBundleInAJarIsServedAndItsFoldersAreNotFiles() throws Exception {
    assertThat(get(fromJar, "/portal/").body()).isEqualTo(index);
    assertThat(get(fromJar, "/portal/models/digits").body()).isEqualTo(index);
    HttpResponse<byte[]> js = get(fromJar, "/portal/assets/main-Q1w2E3r4.js");
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(new String(js.body(), StandardCharsets.UTF_8)).isEqualTo("console.log(1)");
    assertJsonError(get(fromJar, "/portal/assets"), 404, "not_found");
    assertJsonError(get(fromJar, "/portal/assets/"), 404, "not_found");
  }

  @ParameterizedTest
  @ValueSource(strings = {"/portal/", "/portal/models", JS})
  void withoutTheBundleEveryPathSaysSo(String path) throws Exception {
    HttpResponse<byte[]> r = get(missing, path);
    assertJsonError(r, 404, "web_app_not_built");
    assertThat(new String(r.body(), StandardCharsets.UTF_8)).contains("the portal is not part of this build");
    assertSecurityHeaders(r);
  }

  @Test
  void thePortalKnowsWhetherItsBundleIsThere() {
    // modules/api's own classpath has no portal build: the app module packs it
    assertThat(WebAppRoutes.portal(null).present()).isFalse();
  }

  @Test
  void theConsoleIsServedBesideThePortalWithTheSameHeaders() throws Exception {
    HttpResponse<byte[]> bare = get(twoApps, "/console");
    assertThat(bare.statusCode()).isEqualTo(301);
    assertThat(bare.headers().firstValue("Location")).hasValue("/console/");
    for (String path : List.of("/console/", "/console/tenants/acme", "/console/cluster")) {
      HttpResponse<byte[]> r = get(twoApps, path);
      assertThat(r.statusCode()).as(path).isEqualTo(200);
      assertThat(r.body()).isEqualTo(index);
      assertThat(r.headers().firstValue("Cache-Control")).hasValue("no-cache");
      assertSecurityHeaders(r);
    }
    HttpResponse<byte[]> js = get(twoApps, "/console/assets/main-Q1w2E3r4.js");
    assertThat(js.statusCode()).isEqualTo(200);
    assertThat(js.headers().firstValue("Cache-Control")).hasValue(WebAppRoutes.IMMUTABLE);
    assertSecurityHeaders(js);
    // each app answers from its own bundle only
    assertJsonError(get(twoApps, "/console/assets/index-B7x_q9Zk.js"), 404, "not_found");
    assertJsonError(get(twoApps, "/portal/assets/main-Q1w2E3r4.js"), 404, "not_found");
    assertThat(get(twoApps, JS).statusCode()).isEqualTo(200);
    assertJsonError(get(twoApps, "/console/../outside-the-bundle.txt"), 404, "not_found");
    assertJsonError(get(twoApps, "/consolex/"), 404, "not_found");
  }

  @Test
  void theConsoleKnowsWhetherItsBundleIsThereAndSaysHowToBuildIt() {
    WebAppRoutes console = WebAppRoutes.console(ISSUER);
    assertThat(console.present()).isFalse();
    assertThat(console.answer("/").status().intValue()).isEqualTo(404);
  }

  @Test
  void otherPathsAreNotTheWebAppsBusiness() throws Exception {
    assertJsonError(get(fromFolder, "/portalx/"), 404, "not_found");
    assertJsonError(get(fromFolder, "/outside-the-bundle.txt"), 404, "not_found");
  }

  static String raw(String base, String request) throws IOException {
    URI uri = URI.create(base);
    try (Socket socket = new Socket(uri.getHost(), uri.getPort())) {
      socket.setSoTimeout(10_000);
      OutputStream out = socket.getOutputStream();
      out.write(request.getBytes(StandardCharsets.ISO_8859_1));
      out.flush();
      InputStream in = socket.getInputStream();
      return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
    }
  }
}
