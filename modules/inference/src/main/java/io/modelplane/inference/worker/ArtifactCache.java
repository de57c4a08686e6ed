package io.modelplane.inference.worker;

import io.modelplane.common.PrivateFiles;
import io.modelplane.common.TenantId;
import io.modelplane.common.crypto.ArtifactCipher;
import io.modelplane.common.crypto.ArtifactDecryptionException;
import io.modelplane.common.crypto.ArtifactKey;
import io.modelplane.inference.runtime.ModelLoadException;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.security.DigestOutputStream;
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
 * A node's local copies of encrypted model artifacts, by tenant and SHA-256, so that workers need no
 * shared disk: an artifact not here is downloaded from the artifact store into a temp file and moved
 * into place (0400, in a 0700 directory); a failed or cut download leaves nothing. Bounded by
 * {@code maxBytes}: past it the least recently used artifacts that no load is reading are deleted.
 * When the store keeps its files on this node's disk (the local store) they are used in place.
 * A load gets the plaintext: decrypted with the tenant's data key into a private file of this
 * directory, its SHA-256 checked, and deleted as soon as the load's lease closes (the loader has
 * its own copy by then). Thread-safe; {@link #acquire} blocks (run it where loads run).
 */
public final class ArtifactCache {
  private static final Logger log = LoggerFactory.getLogger(ArtifactCache.class);
  private static final Pattern SHA256 = Pattern.compile("[0-9a-f]{64}");
  private static final String TEMP_PREFIX = "download-";
  private static final String PLAIN_PREFIX = "plain-";

  /** Where artifacts come from: the node's artifact store. */
  public interface Origin {
    /** The artifact's stored file when the store keeps it on this node's disk (used in place); else empty. */
    Optional<Path> localFile(TenantId tenant, String sha256);

    /** Writes the artifact's stored bytes to {@code target} (a new file); {@link NoSuchFileException} when absent. */
    void download(TenantId tenant, String sha256, Path target) throws IOException;
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

  /** An artifact's plaintext file, deleted when the lease closes; its cached ciphertext is not evicted meanwhile. */
  public final class Lease implements AutoCloseable {
    private final String name;
    private final Path path;
    private boolean closed;

    private Lease(String name, Path path) {
      this.name = name;
      this.path = path;
    }

    public Path path() {
      return path;
    }

    @Override
    public void close() {
      deleteQuietly(path);
      synchronized (ArtifactCache.this) {
        if (closed) {
          return;
        }
        closed = true;
        Entry entry = name == null ? null : entries.get(name);
        if (entry != null) {
          entry.leases--;
        }
        evict();
      }
    }
  }

  /**
   * The cache in {@code dir} (made 0700; what a crash left half-downloaded or decrypted is deleted,
   * and so is any plaintext an older version cached, the rest kept).
   */
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
          if (isCacheName(name) && Files.isRegularFile(file)) {
            PrivateFiles.setMode(file, PrivateFiles.READ_ONLY_MODE);
            entries.put(name, new Entry(Files.size(file)));
            usedBytes += Files.size(file);
          } else {
            Files.deleteIfExists(file); // a download cut short, a load's plaintext, an older version's plaintext
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
   * The artifact's plaintext, decrypted with {@code key} (downloaded first when not here) and checked
   * against {@code sha256}, in a private file deleted when the lease closes. Fails with a
   * {@link ModelLoadException} that says why: not in the store, the store not reachable, the key
   * missing or not the one it was encrypted under, the bytes changed, or larger than the whole cache.
   */
  public Lease acquire(TenantId tenant, String sha256, ArtifactKey key) {
    if (!isSha256(sha256)) {
      throw new ModelLoadException("'" + sha256 + "' is no sha256: the artifact cannot be looked up");
    }
    if (key == null) {
      throw new ModelLoadException("artifact " + sha256 + " cannot be decrypted: no data key of tenant "
          + tenant.value() + " came with the load");
    }
    String name = tenant.value() + "." + sha256;
    Optional<Path> local = origin.localFile(tenant, sha256);
    if (local.isPresent()) {
      return new Lease(null, decrypt(tenant, sha256, key, local.get(), null));
    }
    Lease cached;
    synchronized (fetching.computeIfAbsent(name, s -> new Object())) {
      cached = leaseIfCached(name);
      if (cached == null) {
        long bytes = download(tenant, sha256, name);
        synchronized (this) {
          Entry entry = new Entry(bytes);
          entry.leases = 1;
          entries.put(name, entry);
          usedBytes += bytes;
          evict();
          cached = new Lease(name, dir.resolve(name));
        }
      }
    }
    try {
      return new Lease(name, decrypt(tenant, sha256, key, cached.path(), name));
    } catch (RuntimeException e) {
      cached.close();
      throw e;
    }
  }

  /** The plaintext of {@code encrypted} in a new private file, verified; a damaged cached copy is dropped. */
  private Path decrypt(TenantId tenant, String sha256, ArtifactKey key, Path encrypted, String cachedName) {
    Path plain = dir.resolve(PLAIN_PREFIX + UUID.randomUUID());
    long started = System.nanoTime();
    try {
      MessageDigest digest = newDigest();
      try (InputStream in = Files.newInputStream(encrypted);
           OutputStream out = new DigestOutputStream(Files.newOutputStream(Files.createFile(plain, PrivateFiles.FILE)),
               digest)) {
        ArtifactCipher.decrypt(in, out, key);
      }
      String actual = HexFormat.of().formatHex(digest.digest());
      if (!actual.equals(sha256)) {
        throw new ArtifactDecryptionException("it decrypts to bytes with sha256 " + actual);
      }
      log.debug("decrypted artifact {} of {} in {} ms", sha256, tenant.value(), (System.nanoTime() - started) / 1_000_000);
      return plain;
    } catch (ArtifactDecryptionException e) {
      deleteQuietly(plain);
      if (cachedName != null) {
        drop(cachedName); // fetched again next time: the store's copy may be intact
      }
      throw new ModelLoadException("artifact " + sha256 + " of tenant " + tenant.value() + " is not loaded: "
          + e.getMessage(), e);
    } catch (IOException | RuntimeException e) {
      deleteQuietly(plain);
      throw new ModelLoadException("could not decrypt artifact " + sha256 + " into the artifact cache " + dir + ": "
          + e.getMessage(), e);
    }
  }

  private synchronized void drop(String name) {
    Entry entry = entries.get(name);
    if (entry != null && entry.leases <= 1) {
      entries.remove(name);
      usedBytes -= entry.bytes;
      deleteQuietly(dir.resolve(name));
    }
  }

  private synchronized Lease leaseIfCached(String name) {
    Entry entry = entries.get(name); // counts as a use
    if (entry == null) {
      return null;
    }
    Path file = dir.resolve(name);
    if (!Files.isRegularFile(file)) {
      entries.remove(name); // deleted behind the cache's back: fetched again
      usedBytes -= entry.bytes;
      return null;
    }
    entry.leases++;
    try {
      Files.setLastModifiedTime(file, FileTime.fromMillis(System.currentTimeMillis())); // the order after a restart
    } catch (IOException ignored) {
      // only the order after a restart suffers
    }
    return new Lease(name, file);
  }

  /** Into a temp file, then moved to its name (verified when decrypted): the bytes downloaded. */
  private long download(TenantId tenant, String sha256, String name) {
    Path temp = dir.resolve(TEMP_PREFIX + UUID.randomUUID());
    long started = System.nanoTime();
    try {
      try {
        origin.download(tenant, sha256, temp);
      } catch (NoSuchFileException e) {
        throw new ModelLoadException("artifact " + sha256 + " is missing from the artifact store: " + e.getMessage(), e);
      } catch (IOException | RuntimeException e) {
        throw new ModelLoadException("could not download artifact " + sha256 + " from the artifact store: "
            + e.getMessage(), e);
      }
      long bytes = Files.size(temp);
      if (bytes > maxBytes) {
        throw new ModelLoadException("artifact " + sha256 + " has " + bytes + " bytes, more than the whole artifact"
            + " cache holds (" + maxBytes + " bytes, modelplane.artifacts.cache-bytes)");
      }
      PrivateFiles.setMode(temp, PrivateFiles.READ_ONLY_MODE);
      Files.move(temp, dir.resolve(name), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
      log.info("downloaded artifact {} ({} bytes) in {} ms", name, bytes, (System.nanoTime() - started) / 1_000_000);
      return bytes;
    } catch (IOException e) {
      throw new ModelLoadException("could not keep artifact " + sha256 + " in the artifact cache " + dir + ": "
          + e.getMessage(), e);
    } finally {
      deleteQuietly(temp);
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

  /** Whether the tenant's artifact is in this cache now (without counting as a use). */
  public synchronized boolean contains(TenantId tenant, String sha256) {
    String name = tenant.value() + "." + sha256;
    return entries.containsKey(name) && Files.isRegularFile(dir.resolve(name));
  }

  private static MessageDigest newDigest() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // deleted at the next start
    }
  }

  private static boolean isSha256(String value) {
    return value != null && SHA256.matcher(value).matches();
  }

  /** {@code <tenant>.<sha256>}: a cached (encrypted) artifact. */
  private static boolean isCacheName(String name) {
    int dot = name.indexOf('.');
    return dot > 0 && TenantId.isValid(name.substring(0, dot)) && isSha256(name.substring(dot + 1));
  }

  private static FileTime lastModified(Path file) {
    try {
      return Files.getLastModifiedTime(file);
    } catch (IOException e) {
      return FileTime.fromMillis(0);
    }
  }
}
