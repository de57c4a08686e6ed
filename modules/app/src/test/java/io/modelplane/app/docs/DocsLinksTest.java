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

/** The reference pages link only inside docs/, to pages and headings that exist. */
class DocsLinksTest {
  static final List<String> PAGES = List.of("api.md", "configuration.md", "operations.md");
  /** Pages other parts of the documentation add; linked before they land. */
  static final Set<String> PLANNED = Set.of("postgresql.md", "keycloak.md", "benchmarks.md", "architecture.md");
  static final Pattern LINK = Pattern.compile("\\]\\(([^)\\s]+)\\)");
  static final Pattern HEADING = Pattern.compile("(?m)^#{1,6} (.+)$");

  @Test
  void everyRelativeLinkResolves() {
    for (String page : PAGES) {
      Matcher m = LINK.matcher(Repository.read("docs/" + page));
      int links = 0;
      while (m.find()) {
        links++;
        String target = m.group(1);
        assertThat(target).as("a link in %s", page).doesNotStartWith("http").doesNotContain("..").doesNotStartWith("/");
        String file = target.startsWith("#") ? page : target.replaceAll("#.*", "");
        String anchor = target.contains("#") ? target.substring(target.indexOf('#') + 1) : null;
        boolean exists = Files.isRegularFile(Repository.root().resolve("docs").resolve(file));
        assertThat(exists || PLANNED.contains(file)).as("%s links to %s", page, target).isTrue();
        if (exists && anchor != null) {
          assertThat(anchors(Repository.read("docs/" + file))).as("headings of %s, linked from %s", file, page)
              .contains(anchor);
        }
      }
      assertThat(links).as("links in %s", page).isGreaterThan(2);
    }
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
