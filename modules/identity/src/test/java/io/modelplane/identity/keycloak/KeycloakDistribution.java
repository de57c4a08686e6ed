package io.modelplane.identity.keycloak;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.file.DirectoryNotEmptyException;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Enumeration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;

/**
 * The Keycloak server distribution from Maven Central, unpacked and built ({@code kc.sh build}) once
 * into a cache directory shared by every test JVM and by {@code ops/scripts/keycloak-dev.sh}.
 *
 * <p>The cache directory only ever appears complete: it is prepared in a staging directory next to it
 * and renamed into place, so a killed build leaves nothing half-done behind. A file lock keeps two JVMs
 * from spending the ~45 s build twice at the same time.
 */
public final class KeycloakDistribution {

  /** The version; Maven passes the parent pom's {@code keycloak.version}. */
  public static final String VERSION_PROPERTY = "modelplane.keycloak.version";
  /** Path of {@code keycloak-quarkus-dist-<version>.zip}; Maven passes the one in the local repository. */
  public static final String ZIP_PROPERTY = "modelplane.keycloak.dist";
  /** Where the built server is cached; default {@code ~/.cache/modelplane/keycloak-<version>}. */
  public static final String CACHE_DIR_PROPERTY = "modelplane.keycloak.cache";

  static final String DEFAULT_VERSION = "26.7.3";
  /** Build-time options. ops/scripts/keycloak-dev.sh runs the same command and writes the same marker. */
  static final List<String> BUILD_OPTIONS = List.of("--db=dev-file", "--health-enabled=true");
  static final String MARKER = ".modelplane-built";

  private static final System.Logger log = System.getLogger(KeycloakDistribution.class.getName());
  private static final Duration BUILD_TIMEOUT = Duration.ofMinutes(5);
  // FileChannel locks are per JVM: threads of one JVM queue here first.
  private static final Object jvmLock = new Object();

  private final String version;
  private final Path home;
  private final Duration preparedIn;

  private KeycloakDistribution(String version, Path home, Duration preparedIn) {
    this.version = version;
    this.home = home;
    this.preparedIn = preparedIn;
  }

  /** The built distribution, unpacking and building it first if this machine has not yet. */
  public static KeycloakDistribution prepare() {
    String version = System.getProperty(VERSION_PROPERTY, DEFAULT_VERSION);
    Path cacheDir = Path.of(System.getProperty(CACHE_DIR_PROPERTY,
        Path.of(System.getProperty("user.home"), ".cache", "modelplane", "keycloak-" + version).toString()));
    return prepare(version, locateZip(version), cacheDir);
  }

  static KeycloakDistribution prepare(String version, Path zip, Path cacheDir) {
    String expectedMarker = markerContent(version);
    if (isBuilt(cacheDir, expectedMarker)) {
      return new KeycloakDistribution(version, cacheDir, Duration.ZERO);
    }
    Instant began = Instant.now();
    synchronized (jvmLock) {
      try {
        Files.createDirectories(cacheDir.getParent());
        Path lockFile = cacheDir.resolveSibling(cacheDir.getFileName() + ".lock");
        try (FileChannel channel = FileChannel.open(lockFile, StandardOpenOption.CREATE, StandardOpenOption.WRITE);
             FileLock ignored = channel.lock()) {
          if (!isBuilt(cacheDir, expectedMarker)) {
            build(zip, cacheDir, expectedMarker);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("could not prepare Keycloak in " + cacheDir, e);
      }
    }
    Duration took = Duration.between(began, Instant.now());
    log.log(System.Logger.Level.INFO, "Keycloak {0} ready in {1} after {2} ms", version, cacheDir, String.valueOf(took.toMillis()));
    return new KeycloakDistribution(version, cacheDir, took);
  }

  /** The server's home directory (bin/, lib/, conf/ …); treat it as read-only. */
  public Path home() {
    return home;
  }

  public String version() {
    return version;
  }

  /** How long {@link #prepare()} took in this call (including waiting for another JVM); zero when cached. */
  public Duration preparedIn() {
    return preparedIn;
  }

  private static Path locateZip(String version) {
    String configured = System.getProperty(ZIP_PROPERTY);
    Path zip;
    if (configured != null && !configured.isBlank()) {
      zip = Path.of(configured);
    } else {
      // run outside Maven (an IDE): the standard local repository layout
      Path repo = Path.of(System.getProperty("maven.repo.local",
          Path.of(System.getProperty("user.home"), ".m2", "repository").toString()));
      zip = repo.resolve(Path.of("org", "keycloak", "keycloak-quarkus-dist", version,
          "keycloak-quarkus-dist-" + version + ".zip"));
    }
    if (!Files.isRegularFile(zip)) {
      throw new IllegalStateException("Keycloak distribution not found at " + zip
          + "; `mvn -pl modules/identity test-compile` downloads it (a test dependency of modules/identity)");
    }
    return zip;
  }

  private static String markerContent(String version) {
    return "keycloak " + version + " built with " + String.join(" ", BUILD_OPTIONS) + "\n";
  }

  private static boolean isBuilt(Path dir, String expectedMarker) {
    try {
      return Files.readString(dir.resolve(MARKER)).equals(expectedMarker);
    } catch (IOException e) {
      return false;
    }
  }

  private static void build(Path zip, Path cacheDir, String marker) throws IOException {
    if (Files.exists(cacheDir)) {
      // an older build (other options): move it aside rather than build over it while a server may run from it
      Path old = cacheDir.resolveSibling(cacheDir.getFileName() + ".old-" + System.currentTimeMillis());
      Files.move(cacheDir, old, StandardCopyOption.ATOMIC_MOVE);
      deleteTree(old);
    }
    deleteAbandonedStagingDirs(cacheDir);
    Path staging = cacheDir.resolveSibling(cacheDir.getFileName() + ".staging-" + ProcessHandle.current().pid());
    deleteTree(staging);
    try {
      Instant t0 = Instant.now();
      unzip(zip, staging);
      log.log(System.Logger.Level.INFO, "unpacked {0} in {1} ms", zip, String.valueOf(Duration.between(t0, Instant.now()).toMillis()));
      Instant t1 = Instant.now();
      runBuild(staging);
      log.log(System.Logger.Level.INFO, "kc.sh build took {0} ms", String.valueOf(Duration.between(t1, Instant.now()).toMillis()));
      Files.writeString(staging.resolve(MARKER), marker);
      try {
        Files.move(staging, cacheDir, StandardCopyOption.ATOMIC_MOVE);
      } catch (DirectoryNotEmptyException | FileAlreadyExistsException e) {
        // keycloak-dev.sh (which does not share this lock) finished first: use its build
        if (!isBuilt(cacheDir, marker)) {
          throw e;
        }
      }
    } finally {
      deleteTree(staging);
    }
  }

  /** Staging dirs of builds that were killed (~190 MB each); an hour is far beyond any live build. */
  private static void deleteAbandonedStagingDirs(Path cacheDir) throws IOException {
    String prefix = cacheDir.getFileName() + ".staging-";
    Instant abandonedBefore = Instant.now().minus(Duration.ofHours(1));
    try (Stream<Path> siblings = Files.list(cacheDir.getParent())) {
      for (Path p : (Iterable<Path>) siblings.filter(p -> p.getFileName().toString().startsWith(prefix))::iterator) {
        if (Files.getLastModifiedTime(p).toInstant().isBefore(abandonedBefore)) {
          deleteTree(p);
        }
      }
    }
  }

  /** Unpacks the zip's single top-level directory ({@code keycloak-<version>/}) as {@code target}. */
  private static void unzip(Path zip, Path target) throws IOException {
    Files.createDirectories(target);
    Path root = target.toRealPath();
    try (ZipFile zf = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> entries = zf.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        String name = entry.getName();
        int slash = name.indexOf('/');
        if (slash < 0 || slash == name.length() - 1) {
          continue; // the top-level directory itself
        }
        Path out = root.resolve(name.substring(slash + 1)).normalize();
        if (!out.startsWith(root)) {
          throw new IOException("zip entry outside the distribution: " + name);
        }
        if (entry.isDirectory()) {
          Files.createDirectories(out);
        } else {
          Files.createDirectories(out.getParent());
          try (InputStream in = zf.getInputStream(entry)) {
            Files.copy(in, out, StandardCopyOption.REPLACE_EXISTING);
          }
        }
      }
    }
    // java.util.zip does not restore Unix modes
    try (Stream<Path> scripts = Files.list(root.resolve("bin"))) {
      for (Path script : (Iterable<Path>) scripts.filter(p -> p.toString().endsWith(".sh"))::iterator) {
        Files.setPosixFilePermissions(script, PosixFilePermissions.fromString("rwxr-xr-x"));
      }
    }
  }

  private static void runBuild(Path home) throws IOException {
    List<String> command = new ArrayList<>(List.of("/bin/sh", home.resolve("bin/kc.sh").toString(), "build"));
    command.addAll(BUILD_OPTIONS);
    Path buildLog = home.resolve("build.log");
    ProcessBuilder pb = new ProcessBuilder(command)
        .directory(home.toFile())
        .redirectErrorStream(true)
        .redirectOutput(buildLog.toFile());
    KeycloakTestServer.cleanEnvironment(pb.environment());
    Process process = pb.start();
    process.getOutputStream().close();
    try {
      if (!process.waitFor(BUILD_TIMEOUT.toSeconds(), TimeUnit.SECONDS)) {
        KeycloakTestServer.endTree(process.toHandle(), Duration.ofSeconds(5));
        throw new IllegalStateException("kc.sh build did not finish in " + BUILD_TIMEOUT + ":\n"
            + KeycloakTestServer.tail(buildLog, 40));
      }
    } catch (InterruptedException e) {
      KeycloakTestServer.endTree(process.toHandle(), Duration.ofSeconds(5));
      Thread.currentThread().interrupt();
      throw new IllegalStateException("interrupted during kc.sh build", e);
    }
    if (process.exitValue() != 0) {
      throw new IllegalStateException("kc.sh build failed with exit code " + process.exitValue() + ":\n"
          + KeycloakTestServer.tail(buildLog, 40));
    }
  }

  static void deleteTree(Path dir) throws IOException {
    if (!Files.exists(dir, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
      return;
    }
    // walk does not follow symlinks: an instance home's links into the cache are removed, not followed
    try (Stream<Path> paths = Files.walk(dir)) {
      for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
        try {
          Files.delete(p);
        } catch (FileSystemException e) {
          if (Files.exists(p, java.nio.file.LinkOption.NOFOLLOW_LINKS)) {
            throw e;
          }
        }
      }
    }
  }
}
