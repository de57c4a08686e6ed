package io.modelplane.registry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.stream.Materializer;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.modelplane.common.PrivateFiles;
import io.modelplane.common.TenantId;
import io.modelplane.common.crypto.ArtifactCipher;
import io.modelplane.common.crypto.ArtifactDecryptionException;
import io.modelplane.registry.crypto.InMemoryTenantKeys;
import io.modelplane.registry.crypto.KeyUnavailableException;
import io.modelplane.registry.crypto.LocalKeySource;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TenantArtifactsTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final Materializer mat = Materializer.matFromSystem(testKit.system());
  private static final TenantId ACME = TenantId.of("acme");
  private static final TenantId GLOBEX = TenantId.of("globex");
  private static final int SEGMENT = ArtifactCipher.SEGMENT_BYTES;

  @TempDir
  Path root;
  private LocalArtifactStore store;
  private InMemoryTenantKeys keys;
  private TenantArtifacts artifacts;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    store = new LocalArtifactStore(root, 8L * 1024 * 1024);
    keys = new InMemoryTenantKeys(LocalKeySource.of(Map.of("k1", new byte[32]), "k1"));
    artifacts = new TenantArtifacts(store, keys, Runnable::run);
  }

  @Test
  void storesCiphertextAndReadsBackTheVerifiedPlaintextAtEverySegmentBoundary() throws Exception {
    for (int size : new int[] {1, 1000, SEGMENT - 1, SEGMENT, SEGMENT + 1, 2 * SEGMENT, 3 * SEGMENT + 17}) {
      byte[] bytes = randomBytes(size, size);
      ArtifactStore.StoredArtifact stored = await(artifacts.store(ACME, chunked(bytes), sha256(bytes), mat));

      byte[] onDisk = Files.readAllBytes(stored.path());
      assertThat(stored.sha256()).isEqualTo(sha256(bytes));
      assertThat(stored.sizeBytes()).isEqualTo(size);
      assertThat(onDisk.length).isGreaterThan(size);
      if (size >= 16) {
        assertThat(indexOf(onDisk, Arrays.copyOf(bytes, 16))).as("plaintext on disk").isNegative();
      }
      assertThat(plaintext(ACME, stored.sha256())).isEqualTo(bytes);
    }
  }

  @Test
  void tenantsStoreTheSameBytesSeparatelyUnderTheirOwnKeys() throws Exception {
    byte[] bytes = randomBytes(5000, 1);
    ArtifactStore.StoredArtifact a = await(artifacts.store(ACME, chunked(bytes), null, mat));
    ArtifactStore.StoredArtifact g = await(artifacts.store(GLOBEX, chunked(bytes), null, mat));

    assertThat(a.path()).isNotEqualTo(g.path());
    assertThat(Files.readAllBytes(a.path())).isNotEqualTo(Files.readAllBytes(g.path()));
    assertThat(plaintext(GLOBEX, g.sha256())).isEqualTo(bytes);
  }

  @Test
  void aChangedByteACutEndOrExtraBytesAreRefused() throws Exception {
    byte[] bytes = randomBytes(2 * SEGMENT + 100, 2);
    ArtifactStore.StoredArtifact stored = await(artifacts.store(ACME, chunked(bytes), null, mat));
    byte[] original = Files.readAllBytes(stored.path());

    byte[] flipped = original.clone();
    flipped[original.length / 2] ^= 1;
    assertRefused(stored, flipped, "changed");

    // cut exactly after a whole segment: only the last-segment flag tells
    int header = ArtifactCipher.headerLength(original);
    assertRefused(stored, Arrays.copyOf(original, header + 2 * (SEGMENT + 16)), "cut");
    assertRefused(stored, Arrays.copyOf(original, original.length - 1), "cut short");
    assertRefused(stored, Arrays.copyOf(original, 10), "cut short");

    byte[] longer = Arrays.copyOf(original, original.length + 5);
    assertRefused(stored, longer, "");
  }

  @Test
  void aDifferentKeyOrAnotherTenantsArtifactDoesNotDecrypt() throws Exception {
    byte[] bytes = randomBytes(3000, 3);
    ArtifactStore.StoredArtifact stored = await(artifacts.store(ACME, chunked(bytes), null, mat));
    InMemoryTenantKeys other = new InMemoryTenantKeys(LocalKeySource.of(Map.of("k1", new byte[32]), "k1"));
    TenantArtifacts otherKeys = new TenantArtifacts(store, other, Runnable::run);

    assertThatThrownBy(() -> plaintext(otherKeys, ACME, stored.sha256()))
        .isInstanceOf(ArtifactDecryptionException.class).hasMessageContaining("data key");
    // globex's copy at acme's bytes: globex's key is another
    Path globexCopy = root.resolve("tenants/globex").resolve(stored.sha256().substring(0, 2));
    PrivateFiles.directory(root.resolve("tenants/globex"));
    PrivateFiles.directory(globexCopy);
    Files.copy(stored.path(), globexCopy.resolve(stored.sha256()));
    assertThatThrownBy(() -> plaintext(GLOBEX, stored.sha256())).isInstanceOf(ArtifactDecryptionException.class)
        .hasMessageContaining("acme/1");
  }

  @Test
  void shreddingDeletesTheTenantsArtifactsAndItsKey() throws Exception {
    ArtifactStore.StoredArtifact stored = await(artifacts.store(ACME, chunked(randomBytes(3000, 4)), null, mat));
    ArtifactStore.StoredArtifact kept = await(artifacts.store(GLOBEX, chunked(randomBytes(3000, 5)), null, mat));
    byte[] copy = Files.readAllBytes(stored.path());

    assertThat(await(artifacts.shred(ACME))).isEqualTo(1);

    assertThat(store.find(ACME, stored.sha256())).isEmpty();
    assertThat(store.find(GLOBEX, kept.sha256())).isPresent();
    assertThatThrownBy(() -> await(keys.keyOf(ACME))).hasCauseInstanceOf(KeyUnavailableException.class);
    assertThatThrownBy(() -> await(artifacts.store(ACME, chunked(new byte[10]), null, mat)))
        .hasCauseInstanceOf(KeyUnavailableException.class);
    // a copy of the ciphertext kept elsewhere stays unreadable: no key decrypts it
    Path dir = root.resolve("tenants/acme").resolve(stored.sha256().substring(0, 2));
    Files.createDirectories(dir);
    Files.write(dir.resolve(stored.sha256()), copy);
    assertThatThrownBy(() -> plaintext(ACME, stored.sha256())).isInstanceOf(KeyUnavailableException.class);
    assertThat(await(artifacts.shred(ACME))).isEqualTo(1); // idempotent: deletes what is there again
    // an id released and created again gets a fresh key, which does not read the old ciphertext
    await(keys.forget(ACME));
    Files.createDirectories(dir);
    Files.write(dir.resolve(stored.sha256()), copy);
    assertThat(await(keys.keyOf(ACME)).id()).isEqualTo("acme/2");
    assertThatThrownBy(() -> plaintext(ACME, stored.sha256())).isInstanceOf(ArtifactDecryptionException.class)
        .hasMessageContaining("acme/1");
  }

  @Test
  void afterARotationOldArtifactsStillRead() throws Exception {
    byte[] bytes = randomBytes(4000, 6);
    byte[] k1 = new byte[32];
    byte[] k2 = new byte[32];
    Arrays.fill(k2, (byte) 2);
    LocalKeySource before = LocalKeySource.of(Map.of("k1", k1), "k1");
    LocalKeySource both = LocalKeySource.of(Map.of("k1", k1, "k2", k2), "k2");
    RotatingKeys rotating = new RotatingKeys(before);
    TenantArtifacts a = new TenantArtifacts(store, rotating.keys, Runnable::run);
    ArtifactStore.StoredArtifact stored = await(a.store(ACME, chunked(bytes), null, mat));

    rotating.source = both;
    var result = await(rotating.keys.rotate("operator"));

    assertThat(result.activeKek()).isEqualTo("k2");
    assertThat(result.rewrapped()).isEqualTo(1);
    assertThat(plaintext(a, ACME, stored.sha256())).isEqualTo(bytes);
  }

  @Test
  void migratesLegacyPlaintextIntoEachReferencingTenantThenDeletesIt() throws Exception {
    byte[] bytes = randomBytes(SEGMENT + 10, 7);
    String sha = sha256(bytes);
    Path legacy = root.resolve("sha256").resolve(sha.substring(0, 2));
    Files.createDirectories(legacy);
    Files.write(legacy.resolve(sha), bytes);
    byte[] orphan = randomBytes(100, 8);
    Files.createDirectories(root.resolve("sha256").resolve(sha256(orphan).substring(0, 2)));
    Files.write(root.resolve("sha256").resolve(sha256(orphan).substring(0, 2)).resolve(sha256(orphan)), orphan);

    assertThat(await(artifacts.migrateLegacy(Map.of(sha, Set.of(ACME, GLOBEX)), false, mat))).isEqualTo(1);
    assertThat(store.legacyArtifacts()).containsExactly(sha256(orphan)); // kept: its registration may be unknown yet
    assertThat(await(artifacts.migrateLegacy(Map.of(sha, Set.of(ACME, GLOBEX)), true, mat))).isEqualTo(1);

    assertThat(store.legacyArtifacts()).isEmpty();
    assertThat(plaintext(ACME, sha)).isEqualTo(bytes);
    assertThat(plaintext(GLOBEX, sha)).isEqualTo(bytes);
    assertThat(await(artifacts.migrateLegacy(Map.of(sha, Set.of(ACME)), true, mat))).isZero();
  }

  @Test
  void theBlockingCipherReadsWhatTheStreamWrote() throws Exception {
    byte[] bytes = randomBytes(2 * SEGMENT + 3, 9);
    ArtifactStore.StoredArtifact stored = await(artifacts.store(ACME, chunked(bytes), null, mat));
    ByteArrayOutputStream out = new ByteArrayOutputStream();

    ArtifactCipher.decrypt(new ByteArrayInputStream(Files.readAllBytes(stored.path())), out,
        await(keys.keyOf(ACME)).artifactKey());

    assertThat(out.toByteArray()).isEqualTo(bytes);
  }

  /** A key source that a test swaps, as an operator swaps the KEK file and restarts. */
  private static final class RotatingKeys {
    volatile LocalKeySource source;
    final InMemoryTenantKeys keys;

    RotatingKeys(LocalKeySource initial) {
      source = initial;
      keys = new InMemoryTenantKeys(new io.modelplane.registry.crypto.KeySource() {
        @Override
        public String activeKekId() {
          return source.activeKekId();
        }

        @Override
        public byte[] wrap(String kekId, byte[] dataKey, byte[] aad) {
          return source.wrap(kekId, dataKey, aad);
        }

        @Override
        public byte[] unwrap(String kekId, byte[] wrapped, byte[] aad) {
          return source.unwrap(kekId, wrapped, aad);
        }
      });
    }
  }

  private void assertRefused(ArtifactStore.StoredArtifact stored, byte[] replaced, String message) throws Exception {
    Path file = stored.path();
    file.toFile().setWritable(true);
    Files.write(file, replaced);
    assertThatThrownBy(() -> plaintext(ACME, stored.sha256())).isInstanceOf(ArtifactDecryptionException.class)
        .hasMessageContaining(message);
  }

  private byte[] plaintext(TenantId tenant, String sha256) throws Exception {
    return plaintext(artifacts, tenant, sha256);
  }

  private static byte[] plaintext(TenantArtifacts from, TenantId tenant, String sha256) throws Exception {
    try {
      return from.plaintext(tenant, sha256).runWith(Sink.fold(ByteString.emptyByteString(), ByteString::concat), mat)
          .toCompletableFuture().get(20, TimeUnit.SECONDS).toArray();
    } catch (ExecutionException e) {
      throw (Exception) Addresses.originalCause(e);
    }
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    return stage.toCompletableFuture().get(20, TimeUnit.SECONDS);
  }

  private static Source<ByteString, ?> chunked(byte[] bytes) {
    int chunk = 7919; // prime: chunks never line up with segments
    return Source.range(0, (bytes.length - 1) / chunk).map(i ->
        ByteString.fromArray(bytes, i * chunk, Math.min(chunk, bytes.length - i * chunk)));
  }

  private static byte[] randomBytes(int size, long seed) {
    byte[] bytes = new byte[size];
    new Random(seed).nextBytes(bytes);
    return bytes;
  }

  private static String sha256(byte[] bytes) throws Exception {
    return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256").digest(bytes));
  }

  private static int indexOf(byte[] haystack, byte[] needle) {
    outer:
    for (int i = 0; i + needle.length <= haystack.length; i++) {
      for (int j = 0; j < needle.length; j++) {
        if (haystack[i + j] != needle[j]) {
          continue outer;
        }
      }
      return i;
    }
    return -1;
  }
}
