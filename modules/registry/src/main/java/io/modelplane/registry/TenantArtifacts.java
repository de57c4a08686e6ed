package io.modelplane.registry;

import akka.Done;
import akka.stream.Materializer;
import akka.stream.javadsl.FileIO;
import akka.stream.javadsl.Keep;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.StreamConverters;
import akka.util.ByteString;
import io.modelplane.common.TenantId;
import io.modelplane.common.crypto.ArtifactCipher;
import io.modelplane.common.crypto.ArtifactDecryptionException;
import io.modelplane.registry.crypto.ArtifactStreams;
import io.modelplane.registry.crypto.TenantKeys;
import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The control side's view of the artifact store with encryption at rest: every artifact is stored
 * encrypted under its tenant's data key ({@link ArtifactCipher}, streaming, never whole in memory)
 * at (tenant, SHA-256 of the plaintext), and read back decrypted and verified.
 */
public final class TenantArtifacts {
  private static final Logger log = LoggerFactory.getLogger(TenantArtifacts.class);

  private final ArtifactStore store;
  private final TenantKeys keys;
  private final Executor blockingIo;

  public TenantArtifacts(ArtifactStore store, TenantKeys keys, Executor blockingIo) {
    this.store = store;
    this.keys = keys;
    this.blockingIo = blockingIo;
  }

  public ArtifactStore store() {
    return store;
  }

  public TenantKeys keys() {
    return keys;
  }

  /**
   * Encrypts {@code plaintext} into the store under the tenant's data key (created on first use);
   * fails as {@link ArtifactStore#store} does, or with a {@link io.modelplane.registry.crypto.KeyUnavailableException}.
   */
  public CompletionStage<ArtifactStore.StoredArtifact> store(TenantId tenant, Source<ByteString, ?> plaintext,
      String expectedSha256, Materializer mat) {
    return keys.keyOf(tenant).thenCompose(key ->
        store.store(tenant, plaintext, expectedSha256, ArtifactStreams.encrypt(key.artifactKey()), mat));
  }

  /**
   * The artifact's plaintext, decrypted with the tenant's data key and verified: the stream fails
   * (at the end at the latest) when a byte was changed, the bytes were cut or are not those of
   * {@code sha256}, or the key is not the one they were encrypted under.
   */
  public Source<ByteString, CompletionStage<Done>> plaintext(TenantId tenant, String sha256) {
    return decrypted(tenant, sha256, () -> store.read(tenant, sha256));
  }

  private Source<ByteString, CompletionStage<Done>> decrypted(TenantId tenant, String sha256,
      akka.japi.function.Creator<InputStream> stored) {
    return Source.lazyCompletionStageSource(() -> keys.keyOf(tenant).thenApply(key -> {
          MessageDigest digest = Addresses.newDigest(); // this run's: the creator runs once per materialization
          return StreamConverters.fromInputStream(stored)
              .via(ArtifactStreams.decrypt(key.artifactKey()))
              .map(chunk -> {
                for (ByteBuffer buffer : chunk.getByteBuffers()) {
                  digest.update(buffer);
                }
                return chunk;
              })
              // runs only once every byte decrypted: a failure before keeps its own error
              .concatLazy(Source.lazySource(() -> {
                String actual = HexFormat.of().formatHex(digest.digest());
                if (!actual.equals(sha256)) {
                  throw new ArtifactDecryptionException("artifact " + sha256 + " of tenant " + tenant.value()
                      + " decrypts to bytes with sha256 " + actual + ": it is not loaded");
                }
                return Source.<ByteString>empty();
              }));
        }))
        .watchTermination(Keep.right());
  }

  /** Writes the artifact's verified plaintext to {@code target} (a new file, e.g. in a private 0700 directory). */
  public CompletionStage<Done> decryptTo(TenantId tenant, String sha256, Path target, Materializer mat) {
    return decryptTo(plaintext(tenant, sha256), target, mat);
  }

  /**
   * {@link #decryptTo(TenantId, String, Path, Materializer)} of an artifact just stored, read from
   * its local file (no second read from the store).
   */
  public CompletionStage<Done> decryptTo(ArtifactStore.StoredArtifact stored, Path target, Materializer mat) {
    return decryptTo(decrypted(stored.tenant(), stored.sha256(), () -> Files.newInputStream(stored.path())), target,
        mat);
  }

  private static CompletionStage<Done> decryptTo(Source<ByteString, CompletionStage<Done>> plaintext, Path target,
      Materializer mat) {
    return plaintext.runWith(FileIO.toPath(target), mat)
        .handle((io, failure) -> {
          if (failure != null) {
            try {
              Files.deleteIfExists(target); // no partial plaintext left behind
            } catch (IOException ignored) {
              // the caller's directory is private and cleaned by it
            }
            throw new java.util.concurrent.CompletionException(Addresses.originalCause(failure));
          }
          return Done.getInstance();
        });
  }

  /**
   * Deletes every stored artifact of the tenant, then destroys its data key (crypto-shredding: a
   * copy of a ciphertext kept anywhere else cannot be read either); the artifacts deleted. Idempotent.
   */
  public CompletionStage<Integer> shred(TenantId tenant) {
    return CompletableFuture.supplyAsync(() -> store.deleteTenant(tenant), blockingIo)
        .thenCompose(deleted -> keys.destroy(tenant).thenApply(destroyed -> {
          log.info("shredded tenant {}: {} artifacts deleted, data key destroyed: {}", tenant.value(), deleted,
              destroyed);
          return deleted;
        }));
  }

  /**
   * Encrypts the plaintext artifacts an older version stored (under their SHA-256 alone) into the
   * tenant layout, one copy per tenant in {@code referencedBy}, then deletes the plaintext; a legacy
   * artifact no tenant refers to is deleted when {@code deleteUnreferenced} (the caller knows every
   * registration), else kept. Idempotent and crash-safe: a copy appears only complete and the
   * plaintext goes only once every copy is stored. The number of legacy artifacts handled.
   */
  public CompletionStage<Integer> migrateLegacy(Map<String, Set<TenantId>> referencedBy, boolean deleteUnreferenced,
      Materializer mat) {
    return CompletableFuture.supplyAsync(store::legacyArtifacts, blockingIo).thenCompose(legacy -> {
      CompletionStage<Integer> done = CompletableFuture.completedFuture(0);
      for (String sha256 : legacy) {
        if (!deleteUnreferenced && !referencedBy.containsKey(sha256)) {
          continue;
        }
        done = done.thenCompose(n -> migrate(sha256, referencedBy.getOrDefault(sha256, Set.of()), mat)
            .thenApply(ok -> n + 1));
      }
      return done;
    });
  }

  private CompletionStage<Void> migrate(String sha256, Set<TenantId> tenants, Materializer mat) {
    CompletionStage<Void> done = CompletableFuture.completedFuture(null);
    for (TenantId tenant : List.copyOf(tenants)) {
      done = done.thenCompose(v -> CompletableFuture.supplyAsync(() -> has(tenant, sha256), blockingIo))
          .thenCompose(present -> present ? CompletableFuture.completedFuture(null)
              : store(tenant, StreamConverters.fromInputStream(() -> store.readLegacy(sha256)), sha256, mat)
                  .thenAccept(stored -> store.release(stored, true)));
    }
    return done.thenAcceptAsync(v -> {
      store.deleteLegacy(sha256);
      log.info("encrypted legacy artifact {} for {} tenant(s) and deleted its plaintext", sha256, tenants.size());
    }, blockingIo).exceptionally(failure -> {
      // left as it is (and tried again at the next sweep): one damaged file must not stop the others
      log.warn("could not migrate legacy artifact {}: {}", sha256, Addresses.originalCause(failure).getMessage());
      return null;
    });
  }

  private boolean has(TenantId tenant, String sha256) {
    try (InputStream in = store.read(tenant, sha256)) {
      return true;
    } catch (NoSuchFileException e) {
      return false;
    } catch (IOException e) {
      throw new java.io.UncheckedIOException(e);
    }
  }
}
