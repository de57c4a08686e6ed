package io.modelplane.registry;

import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.modelplane.common.TenantId;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Where model artifacts are kept, addressed by tenant and the SHA-256 of their plaintext: on this
 * node's disk ({@link LocalArtifactStore}) or in an S3-compatible bucket ({@link
 * io.modelplane.registry.s3.S3ArtifactStore}). A store keeps what its {@code encode} stage made of
 * the plaintext (the encrypted artifact, see {@link TenantArtifacts}); it never sees a key. An
 * artifact appears under its address only when complete and verified, never half-written. Stores
 * written by older versions kept plaintext under the SHA-256 alone: the {@code legacy} methods
 * serve their migration.
 */
public interface ArtifactStore extends AutoCloseable {

  /**
   * An artifact just stored; {@code newlyCreated} is false when the same bytes were already there.
   * {@code sizeBytes} counts the plaintext; {@code path} is a file of its stored (encoded) bytes on
   * this node, readable at least until {@link #release}.
   */
  record StoredArtifact(TenantId tenant, String sha256, long sizeBytes, Path path, boolean newlyCreated) {
    public ArtifactAddress address() {
      return new ArtifactAddress(tenant, sha256);
    }
  }

  /** The largest artifact {@link #store} accepts, in bytes. */
  long maxBytes();

  /**
   * Streams {@code bytes} (plaintext: hashed and counted) through {@code encode} into the store at
   * ({@code tenant}, SHA-256 of the plaintext). Fails with {@link ArtifactTooLargeException} as soon as
   * more than {@link #maxBytes()} arrive, with {@link ChecksumMismatchException} when
   * {@code expectedSha256} is given and differs, with the source's own error when it fails; in
   * every failure nothing is left behind.
   */
  CompletionStage<StoredArtifact> store(TenantId tenant, Source<ByteString, ?> bytes, String expectedSha256,
      Flow<ByteString, ByteString, ?> encode, Materializer mat);

  /** The artifact's stored file on this node's disk, when this store keeps it there (the local store); else empty. */
  Optional<Path> find(TenantId tenant, String sha256);

  /**
   * Writes the artifact's stored bytes to {@code target}, a file that must not exist yet; blocks.
   * {@link java.nio.file.NoSuchFileException} when the store does not hold it.
   */
  void download(TenantId tenant, String sha256, Path target) throws IOException;

  /** The artifact's stored bytes as a stream (to close); {@link java.nio.file.NoSuchFileException} when absent. */
  InputStream read(TenantId tenant, String sha256) throws IOException;

  /** Deletes every artifact of {@code tenant}; the number deleted. */
  int deleteTenant(TenantId tenant);

  /** The SHA-256 of every plaintext artifact an older version stored under its SHA-256 alone. */
  List<String> legacyArtifacts();

  /** A legacy plaintext artifact's bytes; {@link java.nio.file.NoSuchFileException} when absent. */
  InputStream readLegacy(String sha256) throws IOException;

  /** Deletes a legacy plaintext artifact (once migrated); true if it existed. */
  boolean deleteLegacy(String sha256);

  /**
   * Ends the upload that {@code stored} came from: {@code registered} false when its version was
   * refused. The artifact goes only if this upload created it, none of the uploads of the same bytes
   * that overlapped it kept it, and no other is still under way; else it stays (the orphan sweep
   * removes it if no version ever refers to it).
   */
  void release(StoredArtifact stored, boolean registered);

  /** Removes an artifact, to undo a newly stored one whose registration was refused. True if it existed. */
  boolean delete(TenantId tenant, String sha256);

  /**
   * Deletes every artifact that is not in {@code referenced} and was stored (or stored again)
   * before {@code storedBefore}: the grace keeps an upload whose version is being registered.
   * Returns the address of each artifact deleted.
   */
  List<ArtifactAddress> deleteUnreferenced(Set<ArtifactAddress> referenced, Instant storedBefore);

  /** Releases what the store holds open (the S3 client's connections); the local store holds nothing. */
  @Override
  default void close() {}
}
