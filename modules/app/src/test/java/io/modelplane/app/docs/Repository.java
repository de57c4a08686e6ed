package io.modelplane.app.docs;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.stream.Stream;

/** The repository's files as the docs checks read them, found from wherever the tests run. */
final class Repository {
  private static final Path ROOT = findRoot();

  private Repository() {}

  /** The checkout's root: the nearest directory up from the working directory with modules/api and docs. */
  static Path root() {
    return ROOT;
  }

  static String read(String relative) {
    try {
      return Files.readString(ROOT.resolve(relative), StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + relative + " under " + ROOT, e);
    }
  }

  /** The main Java sources of every module that ships in the node (not the benchmark's load generator). */
  static List<Path> mainJavaSources() {
    try (Stream<Path> modules = Files.list(ROOT.resolve("modules"))) {
      return modules
          .filter(m -> !m.getFileName().toString().equals("bench"))
          .map(m -> m.resolve("src/main/java"))
          .filter(Files::isDirectory)
          .flatMap(Repository::javaFiles)
          .sorted()
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static Stream<Path> javaFiles(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      return files.filter(f -> f.toString().endsWith(".java")).toList().stream();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static String read(Path file) {
    try {
      return Files.readString(file, StandardCharsets.UTF_8);
    } catch (IOException e) {
      throw new UncheckedIOException("cannot read " + file, e);
    }
  }

  private static Path findRoot() {
    // surefire runs in the module's directory, an IDE often in the root: walk up from either
    for (Path dir = Path.of(System.getProperty("user.dir")).toAbsolutePath(); dir != null; dir = dir.getParent()) {
      if (Files.isRegularFile(dir.resolve("pom.xml")) && Files.isDirectory(dir.resolve("modules/api"))
          && Files.isDirectory(dir.resolve("docs"))) {
        return dir;
      }
    }
    throw new IllegalStateException("no repository root (pom.xml, modules/api, docs) above " + System.getProperty("user.dir"));
  }
}
