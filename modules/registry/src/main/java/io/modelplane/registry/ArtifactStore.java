package io.modelplane.registry;

import akka.stream.Materializer;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import java.io.IOException;
import java.nio.file.Path;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * Where model artifacts are kept, addressed by their SHA-256: on this node's disk
 * ({@link LocalArtifactStore}) or in an S3-compatible bucket ({@link io.modelplane.registry.s3.S3ArtifactStore}).
 * An artifact appears under its address only when complete and verified, never half-written.
 */
public interface ArtifactStore extends AutoCloseable {

  /**
   * An artifact just stored; {@code newlyCreated} is false when the same bytes were already there.
   * {@code path} is a file of its bytes on this node, readable at least until {@link #release}.
   */
  record StoredArtifact(String sha256, long sizeBytes, Path path, boolean newlyCreated) {}

  /** The largest artifact {@link #store} accepts, in bytes. */
  long maxBytes();

  /**
   * Streams {@code bytes} into the store. Fails with {@link ArtifactTooLargeException} as soon as
   * more than {@link #maxBytes()} arrive, with {@link ChecksumMismatchException} when
   * {@code expectedSha256} is given and differs, with the source's own error when it fails; in
   * every failure nothing is left behind.
   */
  CompletionStage<StoredArtifact> store(Source<ByteString, ?> bytes, String expectedSha256, Materializer mat);

  /** The artifact's file on this node's disk, when this store keeps it there (the local store); else empty. */
  Optional<Path> find(String sha256);

  /**
   * Writes the artifact's bytes to {@code target}, a file that must not exist yet; blocks.
   * {@link java.nio.file.NoSuchFileException} when the store does not hold it. The bytes are not
   * verified here: the caller hashes what it received.
   */
  void download(String sha256, Path target) throws IOException;

  /**
   * Ends the upload that {@code stored} came from: {@code registered} false when its version was
   * refused. The artifact goes only if this upload created it, none of the uploads of the same bytes
   * that overlapped it kept it, and no other is still under way; else it stays (the orphan sweep
   * removes it if no version ever refers to it).
   */
  void release(StoredArtifact stored, boolean registered);

  /** Removes an artifact, to undo a newly stored one whose registration was refused. True if it existed. */
  boolean delete(String sha256);

  /**
   * Deletes every artifact that is not in {@code referenced} and was stored (or stored again)
   * before {@code storedBefore}: the grace keeps an upload whose version is being registered.
   * Returns the SHA-256 of each artifact deleted.
   */
  List<String> deleteUnreferenced(Set<String> referenced, Instant storedBefore);

  /** Releases what the store holds open (the S3 client's connections); the local store holds nothing. */
  @Override
  default void close() {}
}
