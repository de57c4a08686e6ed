package io.modelplane.bench;

import java.io.IOException;
import java.net.http.HttpClient;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/** What every benchmark's main shares: exit codes, the command line, the HTTP client and the report's output. */
final class BenchMain {

  /** Parses the command line; an {@link IllegalArgumentException} is a usage error. */
  interface Parser<O> {
    O parse(String[] args);
  }

  /** Runs the benchmark; returns the process status. */
  interface Body<O> {
    int run(O options, String[] args) throws Exception;
  }

  private BenchMain() {}

  /** Exits 2 on a usage error, 1 when the benchmark fails or throws, else with what it returns. */
  static <O> void main(Class<?> benchmark, String[] args, Parser<O> parser, Body<O> body) {
    O options;
    try {
      options = parser.parse(args);
    } catch (IllegalArgumentException e) {
      System.err.println(e.getMessage());
      System.exit(2);
      return;
    }
    int status;
    try {
      status = body.run(options, args);
    } catch (Exception e) {
      org.slf4j.LoggerFactory.getLogger(benchmark).error("benchmark failed", e);
      status = 1;
    }
    // DJL's and the HTTP client's non-daemon threads must not keep the JVM up
    System.exit(status);
  }

  /**
   * A command line of options that each take a value, as (option, value) pairs in order; --help or -h,
   * or an option without its value, is a usage error.
   */
  static List<Map.Entry<String, String>> optionPairs(String[] args, String usage) {
    List<Map.Entry<String, String>> pairs = new ArrayList<>();
    for (int i = 0; i < args.length; i++) {
      String name = args[i];
      if (name.equals("--help") || name.equals("-h")) {
        throw new IllegalArgumentException(usage);
      }
      if (i + 1 >= args.length) {
        throw new IllegalArgumentException(name + " needs a value\n" + usage);
      }
      pairs.add(Map.entry(name, args[++i]));
    }
    return pairs;
  }

  /** The command the report names: BENCH_COMMAND when the script sets it, else this JVM's main and arguments. */
  static String command(Class<?> benchmark, String[] args) {
    String fromScript = System.getenv("BENCH_COMMAND");
    return fromScript != null ? fromScript
        : "java -cp <bench classpath> " + benchmark.getName() + " " + String.join(" ", args);
  }

  static HttpClient httpClient() {
    return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
  }

  /** Writes the report to report.md in {@code workDir} and to stdout. */
  static void publish(Path workDir, String markdown, Reporter out) throws IOException {
    Path report = workDir.resolve("report.md");
    Files.writeString(report, markdown, StandardCharsets.UTF_8);
    System.out.println(markdown);
    System.out.flush();
    out.progress("report written to " + report.toAbsolutePath());
  }
}
