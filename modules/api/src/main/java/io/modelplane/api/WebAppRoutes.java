package io.modelplane.api;

import akka.http.javadsl.model.ContentType;
import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpCharsets;
import akka.http.javadsl.model.HttpHeader;
import akka.http.javadsl.model.HttpMethods;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.MediaTypes;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.Uri;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.AllDirectives;
import akka.http.javadsl.server.Route;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.JarURLConnection;
import java.net.URI;
import java.net.URISyntaxException;
import java.net.URL;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;

/**
 * A single-page web app's static files (a Vite build: {@code index.html} and hashed {@code assets/}),
 * served from a classpath folder under {@code /<prefix>/}: paths that are not files fall back to
 * {@code index.html} so the app's own routes work on reload; every answer carries a strict
 * Content-Security-Policy and the other security headers.
 */
public final class WebAppRoutes extends AllDirectives {
  static final String IMMUTABLE = "public, max-age=31536000, immutable";
  // a path segment the bundle can hold: no "." or "..", no encoded slash, NUL or other oddities
  private static final Pattern SEGMENT = Pattern.compile("[A-Za-z0-9_-][A-Za-z0-9._-]{0,199}");
  private static final Map<String, ContentType> TYPES = Map.ofEntries(
      Map.entry("html", ContentTypes.TEXT_HTML_UTF8),
      Map.entry("js", ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8)),
      Map.entry("mjs", ContentTypes.create(MediaTypes.APPLICATION_JAVASCRIPT, HttpCharsets.UTF_8)),
      Map.entry("css", ContentTypes.create(MediaTypes.TEXT_CSS, HttpCharsets.UTF_8)),
      Map.entry("json", ContentTypes.APPLICATION_JSON),
      Map.entry("map", ContentTypes.APPLICATION_JSON),
      Map.entry("txt", ContentTypes.TEXT_PLAIN_UTF8),
      Map.entry("svg", ContentTypes.create(MediaTypes.IMAGE_SVG_XML)),
      Map.entry("png", ContentTypes.create(MediaTypes.IMAGE_PNG)),
      Map.entry("jpg", ContentTypes.create(MediaTypes.IMAGE_JPEG)),
      Map.entry("webp", ContentTypes.create(MediaTypes.IMAGE_WEBP)),
      Map.entry("ico", ContentTypes.create(MediaTypes.IMAGE_X_ICON)),
      Map.entry("woff", ContentTypes.create(MediaTypes.FONT_WOFF)),
      Map.entry("woff2", ContentTypes.create(MediaTypes.FONT_WOFF_2)));

  private final String prefix;
  private final String folder;
  private final ClassLoader loader;
  private final List<HttpHeader> securityHeaders;
  private final byte[] index;
  private final String missingHint;
  // files read so far; bounded by the bundle, since only files that exist are kept
  private final Map<String, byte[]> files = new ConcurrentHashMap<>();

  /**
   * @param prefix      the URL path segment the app lives under ("portal")
   * @param folder      the classpath folder holding the build ("io/modelplane/portal")
   * @param connectTo   origins besides this one the app may call or frame (the Keycloak issuer's), may be empty
   * @param missingHint the sentence answered when the build is not on the classpath
   */
  public WebAppRoutes(String prefix, String folder, ClassLoader loader, List<String> connectTo, String missingHint) {
    this.prefix = prefix;
    this.folder = folder.endsWith("/") ? folder : folder + "/";
    this.loader = loader;
    this.missingHint = missingHint;
    this.securityHeaders = List.of(
        RawHeader.create("Content-Security-Policy", contentSecurityPolicy(connectTo)),
        RawHeader.create("X-Content-Type-Options", "nosniff"),
        RawHeader.create("Referrer-Policy", "no-referrer"),
        RawHeader.create("X-Frame-Options", "DENY"));
    this.index = read("index.html").orElse(null);
  }

  /** The tenant portal at {@code /portal/}; {@code issuer} is the Keycloak realm URL, null without Keycloak. */
  public static WebAppRoutes portal(String issuer) {
    return new WebAppRoutes("portal", "io/modelplane/portal", WebAppRoutes.class.getClassLoader(),
        issuer == null ? List.of() : List.of(origin(issuer)),
        "the tenant portal is not part of this build (built with -DskipPortal); build it with Node 20+ installed");
  }

  /** The operator console at {@code /console/}; {@code issuer} as for {@link #portal}. */
  public static WebAppRoutes console(String issuer) {
    return new WebAppRoutes("console", "io/modelplane/console", WebAppRoutes.class.getClassLoader(),
        issuer == null ? List.of() : List.of(origin(issuer)),
        "the operator console is not part of this build (built with -DskipPortal); build it with Node 20+ installed");
  }

  /** Whether the app's build is on the classpath. */
  public boolean present() {
    return index != null;
  }

  /**
   * Mantine sets styles at run time (style elements and attributes), hence 'unsafe-inline' for styles
   * only; scripts come from this origin's files alone.
   */
  static String contentSecurityPolicy(List<String> connectTo) {
    String others = connectTo.isEmpty() ? "" : " " + String.join(" ", connectTo);
    return "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:; "
        + "font-src 'self'; connect-src 'self'" + others + "; frame-src 'self'" + others + "; object-src 'none'; "
        + "frame-ancestors 'none'; base-uri 'self'; form-action 'self'";
  }

  /** {@code https://host:port} of a URL. */
  static String origin(String url) {
    URI uri = URI.create(url);
    return uri.getScheme() + "://" + uri.getRawAuthority();
  }

  public Route route() {
    return pathPrefix(prefix, () -> concat(
        pathEnd(() -> extractUri(uri -> redirect(uri.rawQueryString()
            .map(query -> Uri.create("/" + prefix + "/").rawQueryString(query))
            .orElseGet(() -> Uri.create("/" + prefix + "/")), StatusCodes.MOVED_PERMANENTLY))),
        respondWithHeaders(securityHeaders, () -> extractMethod(method ->
            method.equals(HttpMethods.GET) || method.equals(HttpMethods.HEAD)
                ? extractUnmatchedPath(path -> complete(answer(path)))
                : complete(Json.error(new ApiError(StatusCodes.METHOD_NOT_ALLOWED, "method_not_allowed",
                    "method not allowed here; allowed: GET")).addHeader(RawHeader.create("Allow", "GET, HEAD")))))));
  }

  /** The answer for {@code path}: what is left after {@code /<prefix>}, starting with "/". */
  HttpResponse answer(String path) {
    if (index == null) {
      return Json.error(ApiError.notFound("web_app_not_built", missingHint));
    }
    String[] segments = path.equals("/") ? new String[0] : path.substring(1).split("/", -1);
    for (String segment : segments) {
      if (!SEGMENT.matcher(segment).matches()) {
        return notFound();
      }
    }
    String name = String.join("/", segments);
    if (segments.length == 0 || name.equals("index.html")) {
      return file(index, "html", "no-cache");
    }
    boolean asset = segments[0].equals("assets");
    Optional<byte[]> found = read(name);
    if (found.isPresent()) {
      return file(found.get(), extension(name), asset ? IMMUTABLE : "no-cache");
    }
    // a missing asset is an old page asking for a replaced build: never answer it with the page
    return asset ? notFound() : file(index, "html", "no-cache");
  }

  private static HttpResponse notFound() {
    return Json.error(ApiError.notFound("not_found", "no such file"));
  }

  private static HttpResponse file(byte[] bytes, String extension, String cacheControl) {
    return HttpResponse.create()
        .withEntity(TYPES.getOrDefault(extension, ContentTypes.APPLICATION_OCTET_STREAM), bytes)
        .addHeader(RawHeader.create("Cache-Control", cacheControl));
  }

  private static String extension(String name) {
    int dot = name.lastIndexOf('.');
    return dot < 0 ? "" : name.substring(dot + 1);
  }

  private Optional<byte[]> read(String name) {
    byte[] cached = files.get(name);
    if (cached != null) {
      return Optional.of(cached);
    }
    URL url = loader.getResource(folder + name);
    if (url == null || !isFile(url)) {
      return Optional.empty();
    }
    try (InputStream in = url.openStream()) {
      byte[] bytes = in.readAllBytes();
      files.put(name, bytes);
      return Optional.of(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** A classpath resource that is a file, not a folder (whose "content" would be a listing). */
  private static boolean isFile(URL url) {
    try {
      return switch (url.getProtocol()) {
        case "file" -> Files.isRegularFile(Path.of(url.toURI()));
        case "jar" -> url.openConnection() instanceof JarURLConnection jar && jar.getJarEntry() != null
            && !jar.getJarEntry().isDirectory();
        default -> false;
      };
    } catch (IOException | URISyntaxException e) {
      return false;
    }
  }
}
