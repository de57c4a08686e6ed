package io.modelplane.inference.worker;

import io.modelplane.common.PrivateFiles;
import io.modelplane.inference.runtime.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.ConcurrentHashMap;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A node's local copies of model artifacts, by SHA-256, so that workers need no shared disk: an
 * artifact not here is downloaded from the artifact store into a temp file, its SHA-256 checked,
 * and only then moved into place (0400, in a 0700 directory); a failed or cut download leaves
 * nothing. Bounded by {@code maxBytes}: past it the least recently used artifacts that no load is
 * reading are deleted. When the store keeps its files on this node's disk (the local store) they
 * are used in place, never copied. Thread-safe; {@link #acquire} blocks (run it where loads run).
 */
public final class ArtifactCache {
  private static final Logger log = LoggerFactory.getLogger(ArtifactCache.class);
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final String TEMP_PREFIX = "download-";

  /** Where artifacts come from: the node's artifact store. */
  public interface Origin {
    /** The artifact's file when the store keeps it on this node's disk (used in place); else empty. */
    Optional<Path> localFile(String sha256);

    /** Writes the artifact's bytes to {@code target} (a new file); {@link NoSuchFileException} when absent. */
    void download(String sha256, Path target) throws IOException;
  }

  private final Path dir;
  private final long maxBytes;
  private final Origin origin;
  /** sha256 → entry, least recently used first (guarded by this) */
  private final LinkedHashMap<String, Entry> entries = new LinkedHashMap<>(16, 0.75f, true);
  private long usedBytes;
  /** one download per artifact at a time; a second load of it waits and finds it cached */
  private final ConcurrentHashMap<String, Object> fetching = new ConcurrentHashMap<>();

  private static final class Entry {
    final long bytes;
    int leases;

    Entry(long bytes) {
      this.bytes = bytes;
    }
  }

  /** A cached artifact's file, never evicted while the lease is open. */
  public final class Lease implements AutoCloseable {
    private final String sha256;
    private final Path path;
    private boolean closed;

    private Lease(String sha256, Path path) {
      this.sha256 = sha256;
      this.path = path;
    }

    public Path path() {
      return path;
    }

    @Override
    public void close() {
      synchronized (ArtifactCache.this) {
        if (closed) {
          return;
        }
        closed = true;
        Entry entry = entries.get(sha256);
        if (entry != null) {
          entry.leases--;
        }
        evict();
      }
    }
  }

  /** The cache in {@code dir} (made 0700; what a crash left half-downloaded is deleted, the rest kept). */
  public ArtifactCache(Path dir, long maxBytes, Origin origin) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive, was " + maxBytes);
    }
    this.dir = dir;
    this.maxBytes = maxBytes;
    this.origin = origin;
    try {
      PrivateFiles.directory(dir);
      try (Stream<Path> files = Files.list(dir)) {
        // oldest use first: the files' times are their last use
        for (Path file : files.sorted(Comparator.comparing(ArtifactCache::lastModified)).toList()) {
          String name = file.getFileName().toString();
          if (isSha256(name) && Files.isRegularFile(file)) {
            PrivateFiles.setMode(file, PrivateFiles.READ_ONLY_MODE);
            entries.put(name, new Entry(Files.size(file)));
            usedBytes += Files.size(file);
          } else {
            Files.deleteIfExists(file); // a download cut short
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the artifact cache in " + dir, e);
    }
    synchronized (this) {
      evict();
    }
  }

  /**
   * The artifact's file, downloaded and verified first when it is not here; held until the lease
   * closes. Fails with a {@link ModelLoadException} that says why: not in the store, the store not
   * reachable, the bytes not those of {@code sha256}, or larger than the whole cache.
   */
  public Lease acquire(String sha256) {
    if (!isSha256(sha256)) {
      throw new ModelLoadException("'" + sha256 + "' is no sha256: the artifact cannot be looked up");
    }
    Optional<Path> local = origin.localFile(sha256);
    if (local.isPresent()) {
      return new Lease(sha256, local.get());
    }
    synchronized (fetching.computeIfAbsent(sha256, s -> new Object())) {
      Lease cached = leaseIfCached(sha256);
      if (cached != null) {
        return cached;
      }
      long bytes = download(sha256);
      synchronized (this) {
        Entry entry = new Entry(bytes);
        entry.leases = 1;
        entries.put(sha256, entry);
        usedBytes += bytes;
        evict();
        return new Lease(sha256, dir.resolve(sha256));
      }
    }
  }

  private synchronized Lease leaseIfCached(String sha256) {
    Entry entry = entries.get(sha256); // counts as a use
    if (entry == null) {
      return null;
    }
    Path file = dir.resolve(sha256);
    if (!Files.isRegularFile(file)) {
      entries.remove(sha256); // deleted behind the cache's back: fetched again
      usedBytes -= entry.bytes;
      return null;
    }
    entry.leases++;
    try {
      Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis())); // the order after a restart
    } catch (IOException ignored) {
      // only the order after a restart suffers
    }
    return new Lease(sha256, file);
  }

  /** Into a temp file, verified, then moved to its address: the bytes downloaded. */
  private long download(String sha256) {
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    long started = System.nanoTime();
    try {
      try {
        origin.download(sha256, temp);
      } catch (NoSuchFileException e) {
        throw new ModelLoadException("artifact " + sha256 + " is missing from the artifact store: " + e.getMessage(), e);
      } catch (IOException | RuntimeException e) {
        throw new ModelLoadException("could not download artifact " + sha256 + " from the artifact store: "
            + e.getMessage(), e);
      }
      long bytes = Files.size(temp);
      String actual = sha256Of(temp);
      if (!actual.equals(sha256)) {
        throw new ModelLoadException("artifact " + sha256 + " as downloaded from the artifact store has sha256 "
            + actual + ": the stored object is damaged or was changed, so it is not loaded");
      }
      if (bytes > maxBytes) {
        throw new ModelLoadException("artifact " + sha256 + " has " + bytes + " bytes, more than the whole artifact"
            + " cache holds (" + maxBytes + " bytes, modelplane.artifacts.cache-bytes)");
      }
      PrivateFiles.setMode(temp, PrivateFiles.READ_ONLY_MODE);
      Files.move(temp, dir.resolve(sha256), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      log.info("downloaded artifact {} ({} bytes) in {} ms", sha256, bytes, (System.nanoTime() - started) / 1_000_000);
      return bytes;
    } catch (IOException e) {
      throw new ModelLoadException("could not keep artifact " + sha256 + " in the artifact cache " + dir + ": "
          + e.getMessage(), e);
    } finally {
      try {
        Files.deleteIfExists(temp);
      } catch (IOException ignored) {
        // deleted at the next start
      }
    }
  }

  /** Deletes least recently used artifacts that no lease holds until the cache fits (held ones may keep it over). */
  private void evict() {
    Iterator<Map.Entry<String, Entry>> oldestFirst = entries.entrySet().iterator();
    while (usedBytes > maxBytes && oldestFirst.hasNext()) {
      Map.Entry<String, Entry> candidate = oldestFirst.next();
      if (candidate.getValue().leases > 0) {
        continue;
      }
      try {
        Files.deleteIfExists(dir.resolve(candidate.getKey()));
      } catch (IOException e) {
        log.warn("could not evict artifact {} from the cache: {}", candidate.getKey(), e.getMessage());
        continue;
      }
      usedBytes -= candidate.getValue().bytes;
      oldestFirst.remove();
      log.info("evicted artifact {} ({} bytes) from the artifact cache", candidate.getKey(), candidate.getValue().bytes);
    }
  }

  /** Bytes of the artifacts held here now. */
  public synchronized long usedBytes() {
    return usedBytes;
  }

  /** Whether the artifact is in this cache now (without counting as a use). */
  public synchronized boolean contains(String sha256) {
    return entries.containsKey(sha256) && Files.isRegularFile(dir.resolve(sha256));
  }

  private static String sha256Of(Path file) throws IOException {
    MessageDigest digest;
    try {
      digest = MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
    byte[] buffer = new byte[64 * 1024];
    try (InputStream in = Files.newInputStream(file)) {
      int n;
      while ((n = in.read(buffer)) > 0) {
        digest.update(buffer, 0, n);
      }
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static boolean isSha256(String value) {
    return value != null && SHA256.matcher(value).matches();
  }

  private static FileTime lastModified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
