package io.modelplane.registry;

import akka.dispatch.Dispatchers;
import akka.stream.Materializer;
import akka.stream.javadsl.FileIO;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.modelplane.common.PrivateFiles;
import io.modelplane.common.TenantId;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.FileTime;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HexFormat;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Stream;

/**
 * Model artifacts on this node's disk (under the data directory), at {@code tenants/<tenant>/<xx>/<sha256>}.
 * Uploads stream to a temp file and appear under their address only when complete and verified:
 * never half-written. Directories are 0700, files being written 0600, stored artifacts read-only
 * (0400). Older versions kept plaintext at {@code sha256/<xx>/<sha256>} (the legacy layout).
 */
public final class LocalArtifactStore implements ArtifactStore {

  private final Path tmp;
  private final Path objects;
  private final Path legacy;
  private final long maxBytes;
  // serializes the check-then-move of a commit with other commits and deletes of the same address
  private final Object addressLock = new Object();
  // uploads between store and registration, per address: one upload's refusal must not delete the
  // file that a concurrent upload of the same bytes is registering (guarded by addressLock)
  private final PendingUploads pending = new PendingUploads();
  private final boolean readOnly;

  public LocalArtifactStore(Path root, long maxBytes) {
    this(root, maxBytes, false);
  }

  /**
   * The store that other nodes write under {@code root} (a shared volume, mounted read-only on
   * worker-only nodes): {@link #find} and {@link #download} only, and nothing under it is touched.
   */
  public static LocalArtifactStore readOnly(Path root) {
    return new LocalArtifactStore(root, 1, true);
  }

  private LocalArtifactStore(Path root, long maxBytes, boolean readOnly) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
    this.tmp = root.resolve("tmp");
    this.objects = root.resolve("tenants");
    this.legacy = root.resolve("sha256");
    this.maxBytes = maxBytes;
    this.readOnly = readOnly;
    if (readOnly) {
      return;
    }
    try {
      PrivateFiles.directory(root);
      PrivateFiles.directory(tmp);
      PrivateFiles.directory(objects);
      deleteLeftovers();
      tightenStored();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare the artifact store under " + root, e);
    }
  }

  /** Uploads cut short by a crash leave their temp files behind; nobody will finish them. */
  private void deleteLeftovers() throws IOException {
    try (Stream<Path> files = Files.walk(tmp)) {
      for (Path leftover : files.sorted(Comparator.reverseOrder()).filter(p -> !p.equals(tmp)).toList()) {
        Files.deleteIfExists(leftover);
      }
    }
  }

  /** Artifacts stored before their modes were set: read-only for the owner alone, directories 0700. */
  private void tightenStored() throws IOException {
    for (Path dir : List.of(objects, legacy)) {
      if (!Files.isDirectory(dir)) {
        continue;
      }
      PrivateFiles.tighten(dir);
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path file : files.filter(Files::isRegularFile).toList()) {
          PrivateFiles.setMode(file, PrivateFiles.READ_ONLY_MODE);
        }
      }
    }
  }

  @Override
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public CompletionStage<StoredArtifact> store(TenantId tenant, Source<ByteString, ?> bytes, String expectedSha256,
      Flow<ByteString, ByteString, ?> encode, Materializer mat) {
    if (readOnly) {
      return CompletableFuture.failedFuture(new IllegalStateException("this node only reads the artifact store"));
    }
    Path part = tmp.resolve(UUID.randomUUID() + ".part");
    // per call, and the source is materialized exactly once below, so these are never shared
    MessageDigest digest = Addresses.newDigest();
    AtomicLong size = new AtomicLong();
    Executor blockingIo = mat.system().dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
    CompletionStage<?> written;
    try {
      Files.createFile(part, PrivateFiles.FILE);
      written = bytes
          .map(chunk -> {
            if (size.addAndGet(chunk.size()) > maxBytes) {
              throw new ArtifactTooLargeException(maxBytes); // fails the stream: no further bytes are pulled
            }
            for (ByteBuffer buffer : chunk.getByteBuffers()) {
              digest.update(buffer);
            }
            return chunk;
          })
          .via(encode)
          .runWith(FileIO.toPath(part, Set.of(StandardOpenOption.WRITE, StandardOpenOption.TRUNCATE_EXISTING)), mat);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new UncheckedIOException("cannot create an upload file in " + tmp, e));
    } catch (RuntimeException e) {
      deleteQuietly(part);
      return CompletableFuture.failedFuture(e);
    }
    // fsync, verification and the move block: done on the blocking IO dispatcher, like FileIO itself
    return written.handleAsync((io, failure) -> {
      try {
        if (failure != null) {
          throw Addresses.originalCause(failure);
        }
        return CompletableFuture.completedFuture(
            commit(tenant, part, size.get(), HexFormat.of().formatHex(digest.digest()), expectedSha256));
      } catch (Throwable t) {
        deleteQuietly(part);
        return CompletableFuture.<StoredArtifact>failedFuture(t);
      }
    }, blockingIo).thenCompose(result -> result);
  }

  private StoredArtifact commit(TenantId tenant, Path part, long size, String sha256, String expectedSha256)
      throws IOException {
    if (size == 0) {
      throw new ArtifactStoreException("artifact is empty");
    }
    if (expectedSha256 != null && !expectedSha256.equals(sha256)) {
      throw new ChecksumMismatchException(expectedSha256, sha256);
    }
    try (FileChannel channel = FileChannel.open(part, StandardOpenOption.WRITE)) {
      channel.force(true); // the bytes are on disk before the address says they exist
    }
    // read-only from here on: nothing in this process writes an artifact again
    PrivateFiles.setMode(part, PrivateFiles.READ_ONLY_MODE);
    Path target = addressOf(tenant, sha256);
    String pendingKey = new ArtifactAddress(tenant, sha256).toString();
    synchronized (addressLock) {
      if (!Files.isDirectory(target.getParent())) {
        Files.createDirectories(target.getParent(), PrivateFiles.DIRECTORY);
        syncDirectory(target.getParent().getParent()); // the new fan-out directory's own entry
      }
      pending.stored(pendingKey, Files.exists(target) ? null : "this node");
      if (Files.exists(target)) {
        Files.delete(part);
        // stored again just now: an orphan sweep gives it the whole grace period to be registered
        Files.setLastModifiedTime(target, FileTime.fromMillis(System.currentTimeMillis()));
        return new StoredArtifact(tenant, sha256, size, target, false);
      }
      Files.move(part, target, StandardCopyOption.ATOMIC_MOVE);
    }
    syncDirectory(target.getParent());
    return new StoredArtifact(tenant, sha256, size, target, true);
  }

  /** The stored file of this tenant with this SHA-256 (lowercase hex), if any. */
  @Override
  public Optional<Path> find(TenantId tenant, String sha256) {
    if (!isSha256(sha256)) {
      return Optional.empty();
    }
    Path path = addressOf(tenant, sha256);
    return Files.isRegularFile(path) ? Optional.of(path) : Optional.empty();
  }

  @Override
  public void download(TenantId tenant, String sha256, Path target) throws IOException {
    Files.copy(stored(tenant, sha256), target);
  }

  @Override
  public InputStream read(TenantId tenant, String sha256) throws IOException {
    return Files.newInputStream(stored(tenant, sha256));
  }

  private Path stored(TenantId tenant, String sha256) throws NoSuchFileException {
    return find(tenant, sha256).orElseThrow(() -> new NoSuchFileException(
        "artifact " + sha256 + " of tenant " + tenant.value() + " is not in this node's local artifact store"));
  }

  @Override
  public int deleteTenant(TenantId tenant) {
    if (readOnly) {
      return 0;
    }
    Path dir = objects.resolve(tenant.value());
    int deleted = 0;
    synchronized (addressLock) {
      if (!Files.isDirectory(dir)) {
        return 0;
      }
      try (Stream<Path> files = Files.walk(dir)) {
        for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
          if (Files.isRegularFile(path)) {
            deleted++;
          }
          Files.deleteIfExists(path);
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete the artifacts of tenant " + tenant.value(), e);
      }
    }
    return deleted;
  }

  @Override
  public List<String> legacyArtifacts() {
    if (!Files.isDirectory(legacy)) {
      return List.of();
    }
    try (Stream<Path> files = Files.walk(legacy, 2)) {
      return files.filter(Files::isRegularFile).map(p -> p.getFileName().toString()).filter(Addresses::isSha256)
          .toList();
    } catch (IOException e) {
      throw new UncheckedIOException("cannot list the legacy artifacts in " + legacy, e);
    }
  }

  @Override
  public InputStream readLegacy(String sha256) throws IOException {
    if (!isSha256(sha256)) {
      throw new NoSuchFileException("'" + sha256 + "' is no sha256");
    }
    return Files.newInputStream(legacy.resolve(sha256.substring(0, 2)).resolve(sha256));
  }

  @Override
  public boolean deleteLegacy(String sha256) {
    if (!isSha256(sha256) || readOnly) {
      return false;
    }
    try {
      return Files.deleteIfExists(legacy.resolve(sha256.substring(0, 2)).resolve(sha256));
    } catch (IOException e) {
      throw new UncheckedIOException("cannot delete legacy artifact " + sha256, e);
    }
  }

  /**
   * Ends the upload that {@code stored} came from: {@code registered} false when its version was
   * refused. The file goes only if this upload created it, none of the uploads of the same bytes
   * that overlapped it kept it, and no other is still under way; else it stays (the orphan sweep
   * removes it if no version ever refers to it).
   */
  @Override
  public void release(StoredArtifact stored, boolean registered) {
    synchronized (addressLock) {
      if (pending.released(stored.address().toString(), registered, stored.newlyCreated()) != null) {
        delete(stored.tenant(), stored.sha256());
      }
    }
  }

  /** Removes an artifact, to undo a newly stored one whose registration was refused. True if it existed. */
  @Override
  public boolean delete(TenantId tenant, String sha256) {
    if (!isSha256(sha256) || readOnly) {
      return false;
    }
    synchronized (addressLock) {
      try {
        return Files.deleteIfExists(addressOf(tenant, sha256));
      } catch (IOException e) {
        throw new UncheckedIOException("cannot delete artifact " + sha256, e);
      }
    }
  }

  /**
   * Deletes every artifact that is not in {@code referenced} and was stored (or stored again)
   * before {@code storedBefore}: the grace keeps an upload whose version is being registered.
   * Returns the address of each artifact deleted.
   */
  @Override
  public List<ArtifactAddress> deleteUnreferenced(Set<ArtifactAddress> referenced, Instant storedBefore) {
    if (readOnly || !Files.isDirectory(objects)) {
      return List.of();
    }
    List<ArtifactAddress> deleted = new ArrayList<>();
    try (Stream<Path> files = Files.walk(objects, 3)) {
      for (Path file : files.filter(Files::isRegularFile).toList()) {
        String sha256 = file.getFileName().toString();
        String tenant = file.getParent().getParent().getFileName().toString();
        if (!isSha256(sha256) || !TenantId.isValid(tenant)) {
          continue;
        }
        ArtifactAddress address = new ArtifactAddress(new TenantId(tenant), sha256);
        if (referenced.contains(address)) {
          continue;
        }
        synchronized (addressLock) {
          // checked again under the lock: a commit of the same bytes touches the file under it
          if (Files.getLastModifiedTime(file).toInstant().isBefore(storedBefore) && Files.deleteIfExists(file)) {
            deleted.add(address);
          }
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot sweep the artifact store", e);
    }
    return deleted;
  }

  private Path addressOf(TenantId tenant, String sha256) {
    return objects.resolve(tenant.value()).resolve(sha256.substring(0, 2)).resolve(sha256);
  }

  private static boolean isSha256(String value) {
    return Addresses.isSha256(value); // also keeps path separators and ".." out of the address
  }



  /** Makes the rename itself durable; best effort, as not every file system can sync a directory. */
  private static void syncDirectory(Path dir) {
    try (FileChannel channel = FileChannel.open(dir, StandardOpenOption.READ)) {
      channel.force(true);
    } catch (IOException ignored) {
      // the artifact is complete either way; at worst a crash forgets it and it is uploaded again
    }
  }

  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // a leftover in tmp is removed at the next start
    }
  }
}
