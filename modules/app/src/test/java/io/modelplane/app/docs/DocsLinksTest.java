package io.modelplane.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.util.List;
import java.util.Locale;
import java.util.Set;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;

/** Every docs page links only inside docs/, to pages and headings that exist; the README's links resolve too. */
class DocsLinksTest {
  static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");

  static List<String> pages() {
    try (var files = Files.list(Repository.root().resolve("docs"))) {
      return files.map(f -> f.getFileName().toString()).filter(f -> f.endsWith(".md")).sorted().toList();
    } catch (java.io.IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }

  @Test
  void readmeLinksResolve() {
    Matcher m = LINK.matcher(Repository.read("README.md"));
    int links = 0;
    while (m.find()) {
      String target = m.group(1);
      if (target.startsWith("http")) {
        continue;
      }
      links++;
      assertThat(Files.exists(Repository.root().resolve(target.replaceAll("#.*", "")))).as("README links to %s", target)
          .isTrue();
    }
    assertThat(links).as("README's links into the repository").isGreaterThanOrEqualTo(pages().size());
  }

  @Test
  void everyRelativeLinkResolves() {
    List<String> pages = pages();
    assertThat(pages).contains("api.md", "configuration.md", "operations.md", "postgresql.md", "keycloak.md",
        "security.md", "benchmarks.md", "architecture.md");
    int links = 0;
    for (String page : pages) {
      Matcher m = LINK.matcher(Repository.read("docs/" + page));
      while (m.find()) {
        links++;
        String target = m.group(1);
        assertThat(target).as("a link in %s", page).doesNotStartWith("http").doesNotContain("..").doesNotStartWith("/");
        String file = target.startsWith("#") ? page : target.replaceAll("#.*", "");
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        boolean exists = Files.isRegularFile(Repository.root().resolve("docs").resolve(file));
        assertThat(exists).as("%s links to %s", page, target).isTrue();
        if (exists && anchor != null) {
          assertThat(anchors(Repository.read("docs/" + file))).as("headings of %s, linked from %s", file, page)
              .contains(anchor);
        }
      }
    }
    assertThat(links).as("links between the pages").isGreaterThan(pages.size());
  }

  @Test
  void anchorsAreGitHubs() {
    assertThat(anchors("## Errors by code\n### `POST /v2/models/{model}/infer`\n### `GET /api/v1/openapi.yaml`\n"))
        .containsExactlyInAnyOrder("errors-by-code", "post-v2modelsmodelinfer", "get-apiv1openapiyaml");
  }

  static Set<String> anchors(String doc) {
    Set<String> anchors = new TreeSet<>();
    Matcher m = HEADING.matcher(doc);
    while (m.find()) {
      anchors.add(m.group(1).trim().toLowerCase(Locale.ROOT).replaceAll("[^\\p{L}\\p{N} _-]", "").replace(' ', '-'));
    }
    return anchors;
  }
}
