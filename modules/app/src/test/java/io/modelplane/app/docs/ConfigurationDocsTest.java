package io.modelplane.app.docs;

import static org.assertj.core.api.Assertions.assertThat;

import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigParseOptions;
import com.typesafe.config.ConfigResolveOptions;
import com.typesafe.config.ConfigValue;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * docs/configuration.md documents every {@code modelplane.*} setting of the node's config files, each on a
 * table row that also names its environment variable, and documents no setting or variable that does not exist.
 */
class ConfigurationDocsTest {
  static final String DOC = "docs/configuration.md";
  static final Pattern ENV = Pattern.compile("\\$\\{\\?([A-Z][A-Z0-9_]*)}");
  /** A documented setting: a table row whose first cell is a backticked config path. */
  static final Pattern ROW = Pattern.compile("(?m)^\\| `([a-z][a-zA-Z0-9-]*(?:\\.[a-zA-Z0-9_-]+)+)` \\|(.*)$");
  static final Pattern DOCUMENTED_ENV = Pattern.compile("\\bMODELPLANE_[A-Z0-9_]+\\b");
  /** What defines a dispatcher as a thread pool: plumbing, not a knob (the pool size is documented). */
  static final Set<String> DISPATCHER_PLUMBING = Set.of("type", "executor", "throughput");

  @Test
  void everySettingIsDocumentedWithItsEnvironmentVariable() {
    Map<String, String> settings = settings(sources());
    Map<String, String> rows = rows(Repository.read(DOC));
    assertThat(settings).as("settings parsed").hasSizeGreaterThan(40).containsKey("modelplane.http.port");
    assertThat(minus(settings.keySet(), rows.keySet())).as("modelplane.* settings missing from " + DOC).isEmpty();
    for (Map.Entry<String, String> env : overrides(sources()).entrySet()) {
      assertThat(rows).as("the setting %s that %s overrides has a row in %s", env.getValue(), env.getKey(), DOC)
          .containsKey(env.getValue());
      assertThat(rows.get(env.getValue())).as("the row of %s in %s", env.getValue(), DOC).contains("`" + env.getKey() + "`");
    }
  }

  @Test
  void everyDocumentedSettingAndVariableExists() {
    List<String> sources = sources();
    Map<String, String> settings = settings(sources);
    Map<String, String> overrides = overrides(sources);
    assertThat(overrides).as("environment overrides parsed").hasSizeGreaterThan(25);
    String doc = Repository.read(DOC);
    // the libraries' own settings, as the node sees them: its files over the libraries' reference.conf
    Config effective = effective(sources);
    for (String key : rows(doc).keySet()) {
      if (key.startsWith("modelplane.")) {
        assertThat(settings).as("%s documents %s", DOC, key).containsKey(key);
      } else {
        assertThat(effective.hasPath(key)).as("%s documents %s, which the node's config does not have", DOC, key).isTrue();
      }
    }
    Set<String> variables = new TreeSet<>();
    Matcher m = DOCUMENTED_ENV.matcher(doc);
    while (m.find()) {
      variables.add(m.group());
    }
    assertThat(minus(variables, overrides.keySet())).as("variables in " + DOC + " that no setting reads").isEmpty();
  }

  @Test
  void overridesAreMappedToTheirSettingsWithoutTheEnvironment() {
    String conf = "a { b = 1\n b = ${?X_B}\n c { d = \"\"\n d = ${?X_D} } }\nmodelplane.e = ${a.b}\n"
        + "modelplane.dispatchers.pool { type = Dispatcher\n size = 2 }\nmodelplane.f = 1\nmodelplane.f = ${?X_F}\n"
        + "modelplane.g = ${modelplane.f}\n";
    assertThat(overrides(List.of(conf))).containsExactly(
        Map.entry("X_B", "a.b"), Map.entry("X_D", "a.c.d"), Map.entry("X_F", "modelplane.f"));
    assertThat(settings(List.of(conf)))
        .containsOnlyKeys("modelplane.e", "modelplane.dispatchers.pool.size", "modelplane.f", "modelplane.g");
  }

  /** The node's own config files: application.conf and what it includes, and the modules' reference.conf. */
  static List<String> sources() {
    Path root = Repository.root();
    try (Stream<Path> modules = Files.list(root.resolve("modules"))) {
      List<Path> files = Stream.concat(
              Stream.of("application.conf", "cluster.conf", "persistence.conf", "http.conf")
                  .map(f -> root.resolve("modules/app/src/main/resources").resolve(f)),
              modules.filter(m -> !m.getFileName().toString().equals("bench"))
                  .map(m -> m.resolve("src/main/resources/reference.conf")).filter(Files::isRegularFile).sorted())
          .toList();
      try (Stream<Path> confs = Files.list(root.resolve("modules/app/src/main/resources"))) {
        // a new file next to application.conf must be added above (and included by it)
        assertThat(confs.filter(f -> f.toString().endsWith(".conf")).map(f -> f.getFileName().toString()))
            .containsExactlyInAnyOrder("application.conf", "cluster.conf", "persistence.conf", "http.conf");
      }
      return files.stream().map(Repository::read).toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  /** Every {@code modelplane.*} leaf and its value, resolved without the environment. */
  static Map<String, String> settings(List<String> sources) {
    Config config = parse(sources).resolve(ConfigResolveOptions.noSystem());
    Map<String, String> leaves = new TreeMap<>();
    if (!config.hasPath("modelplane")) {
      return leaves;
    }
    for (Map.Entry<String, ConfigValue> e : config.getConfig("modelplane").entrySet()) {
      String path = "modelplane." + e.getKey();
      List<String> parts = com.typesafe.config.ConfigUtil.splitPath(path);
      if (parts.get(1).equals("dispatchers") && DISPATCHER_PLUMBING.contains(parts.get(parts.size() - 1))) {
        continue;
      }
      leaves.put(path, String.valueOf(e.getValue().unwrapped()));
    }
    return leaves;
  }

  /**
   * Environment variable → the setting it overrides: each {@code ${?VAR}} is resolved to a marker naming the
   * variable, and the paths holding a marker are the overridden settings.
   */
  static Map<String, String> overrides(List<String> sources) {
    Set<String> variables = new TreeSet<>();
    for (String source : sources) {
      Matcher m = ENV.matcher(source);
      while (m.find()) {
        variables.add(m.group(1));
      }
    }
    Map<String, Object> markers = new LinkedHashMap<>();
    variables.forEach(v -> markers.put(v, "@env:" + v));
    // a substitution looks in the config itself before the environment: markers at the root answer ${?VAR}
    Config resolved = ConfigFactory.parseMap(markers).withFallback(parse(sources)).resolve(ConfigResolveOptions.noSystem());
    Map<String, Set<String>> landed = new TreeMap<>();
    for (Map.Entry<String, ConfigValue> e : resolved.entrySet()) {
      if (e.getValue().unwrapped() instanceof String s && s.startsWith("@env:") && variables.contains(s.substring(5))
          && !markers.containsKey(e.getKey())) {
        landed.computeIfAbsent(s.substring(5), v -> new TreeSet<>()).add(e.getKey());
      }
    }
    Map<String, String> found = new TreeMap<>();
    landed.forEach((variable, paths) -> {
      // a setting defined as another one (x = ${other}) gets its marker too: the override is where ${?VAR} is written
      Set<String> written = new TreeSet<>();
      for (String path : paths) {
        List<String> parts = com.typesafe.config.ConfigUtil.splitPath(path);
        Pattern assignment = Pattern.compile("(?m)^\\s*(?:[\\w.-]+\\.)?" + Pattern.quote(parts.get(parts.size() - 1))
            + "\\s*[=:]\\s*\\$\\{\\?" + variable + "}");
        if (sources.stream().anyMatch(src -> assignment.matcher(src).find())) {
          written.add(path);
        }
      }
      assertThat(written).as("the one setting %s overrides, of %s", variable, paths).hasSize(1);
      found.put(variable, written.iterator().next());
    });
    assertThat(found.keySet()).as("every ${?VAR} lands in a setting").containsExactlyElementsOf(variables);
    return found;
  }

  static Config effective(List<String> sources) {
    return parse(sources).withFallback(ConfigFactory.defaultReference()).resolve(ConfigResolveOptions.noSystem());
  }

  private static Config parse(List<String> sources) {
    Config config = ConfigFactory.empty();
    for (String source : sources) {
      // includes are listed as sources of their own: parse each file alone
      String withoutIncludes = source.replaceAll("(?m)^\\s*include\\s+\"[^\"]*\"\\s*$", "");
      config = config.withFallback(ConfigFactory.parseString(withoutIncludes, ConfigParseOptions.defaults()));
    }
    return config;
  }

  static Map<String, String> rows(String doc) {
    Map<String, String> rows = new TreeMap<>();
    Matcher m = ROW.matcher(doc);
    while (m.find()) {
      rows.put(m.group(1), m.group(2));
    }
    return rows;
  }

  static Set<String> minus(Set<String> a, Set<String> b) {
    Set<String> rest = new TreeSet<>(a);
    rest.removeAll(b);
    return rest;
  }
}
