package io.modelplane.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/**
 * docs/api.md names exactly the endpoints of openapi.yaml, method and path: its endpoint entries are the
 * headings "### `METHOD /path`", and any "`METHOD /path`" in its prose must be a real endpoint too.
 */
class ApiDocsTest {
  static final String OPENAPI = "modules/api/src/main/resources/io/modelplane/api/openapi.yaml";
  static final String DOC = "docs/api.md";
  static final Set<String> METHODS = Set.of("get", "put", "post", "delete", "patch", "head", "options", "trace");
  static final Pattern ENTRY = Pattern.compile("(?m)^#{2,4} `(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS) (/[^`\\s]*)`\\s*$");
  static final Pattern MENTION = Pattern.compile("`(GET|PUT|POST|DELETE|PATCH|HEAD|OPTIONS) (/[A-Za-z0-9_{}./-]*)`");

  @Test
  void everyEndpointOfTheOpenApiDocumentHasAnEntryAndEveryEntryIsAnEndpoint() {
    Set<String> specified = openApiEndpoints(Repository.read(OPENAPI));
    Set<String> documented = entries(Repository.read(DOC));
    // a parse that finds nothing would pass vacuously
    assertThat(specified).hasSizeGreaterThan(40).contains("GET /api/v1/admin/audit", "POST /v2/models/{model}/infer");
    assertThat(minus(specified, documented)).as("endpoints of openapi.yaml without an entry in " + DOC).isEmpty();
    assertThat(minus(documented, specified)).as("entries of " + DOC + " that openapi.yaml does not have").isEmpty();
  }

  @Test
  void everyEndpointNamedInTheProseExists() {
    Set<String> specified = openApiEndpoints(Repository.read(OPENAPI));
    Set<String> mentioned = new TreeSet<>();
    Matcher m = MENTION.matcher(Repository.read(DOC));
    while (m.find()) {
      mentioned.add(m.group(1) + " " + m.group(2));
    }
    assertThat(mentioned).hasSizeGreaterThan(40);
    assertThat(minus(mentioned, specified)).as("endpoints named in " + DOC + " that openapi.yaml does not have").isEmpty();
  }

  @Test
  void entriesAreParsedWithTheirMethods() {
    String doc = "# API\n### `GET /v2/health/live`\ntext `GET /not/an/entry`\n#### `PATCH /api/v1/tenants/{tenant}`\n"
        + "### `GET /api/v1/tenants` and more\n";
    assertThat(entries(doc)).containsExactly("GET /v2/health/live", "PATCH /api/v1/tenants/{tenant}");
    String spec = "paths:\n  /a/{x}:\n    parameters: []\n    get: {summary: x}\n    delete: {summary: y}\n"
        + "components: {}\n";
    assertThat(openApiEndpoints(spec)).containsExactly("DELETE /a/{x}", "GET /a/{x}");
  }

  static Set<String> entries(String doc) {
    Set<String> found = new TreeSet<>();
    Matcher m = ENTRY.matcher(doc);
    while (m.find()) {
      found.add(m.group(1) + " " + m.group(2));
    }
    return found;
  }

  @SuppressWarnings("unchecked")
  static Set<String> openApiEndpoints(String yaml) {
    Map<String, Object> doc = new org.yaml.snakeyaml.Yaml().load(yaml);
    Map<String, Object> paths = (Map<String, Object>) doc.get("paths");
    Set<String> found = new TreeSet<>();
    paths.forEach((path, item) -> ((Map<String, Object>) item).keySet().stream()
        .filter(METHODS::contains)
        .forEach(method -> found.add(method.toUpperCase(java.util.Locale.ROOT) + " " + path)));
    return found;
  }

  static Set<String> minus(Set<String> a, Set<String> b) {
    Set<String> rest = new TreeSet<>(a);
    rest.removeAll(b);
    return rest;
  }
}
