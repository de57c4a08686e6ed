package io.modelplane.api;

import akka.dispatch.Dispatchers;
import akka.http.javadsl.model.Multipart;
import akka.stream.Materializer;
import akka.stream.javadsl.Sink;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.PrivateFiles;
import io.modelplane.common.TenantId;
import io.modelplane.inference.runtime.ModelAdmission;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.TenantArtifacts;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.stream.Stream;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Streams a multipart version upload: the {@code manifest} part (JSON, small) and the
 * {@code artifact} part (encrypted under the tenant's data key while it streams into the artifact
 * store, never held in memory), then admits the stored artifact ({@link ModelAdmission}): the check
 * reads the archive, so the artifact is decrypted (and verified) into a private 0700 temp directory
 * for it and deleted right after. If anything fails, an artifact this upload newly stored is removed
 * again.
 */
final class VersionUpload {
  private static final ModelAdmission ADMISSION = new ModelAdmission();

  record Result(VersionManifest manifest, ArtifactStore.StoredArtifact artifact) {}

  private final TenantArtifacts store;
  private final ApiSettings settings;

  VersionUpload(TenantArtifacts store, ApiSettings settings) {
    this.store = store;
    this.settings = settings;
  }

  CompletionStage<Result> receive(TenantId tenant, Multipart.FormData form, Materializer mat) {
    AtomicReference<VersionManifest> manifest = new AtomicReference<>();
    AtomicReference<ArtifactStore.StoredArtifact> artifact = new AtomicReference<>();
    CompletionStage<Result> result = form.getParts()
        .mapAsync(1, part -> switch (part.getName()) {
          case "manifest" -> part.getEntity().toStrict(10_000, settings.maxManifestBytes(), mat).thenApply(strict -> {
            if (manifest.get() != null) {
              throw ApiError.badRequest("invalid_upload", "send one manifest part");
            }
            manifest.set(parseManifest(strict.getData().toArray()));
            return part.getName();
          });
          case "artifact" -> {
            if (artifact.get() != null) {
              throw ApiError.badRequest("invalid_upload", "send one artifact part");
            }
            VersionManifest known = manifest.get(); // when the manifest came first, its checksum is verified while streaming
            yield store.store(tenant, part.getEntity().getDataBytes(), known == null ? null : known.sha256(), mat)
                .thenApply(stored -> {
                  artifact.set(stored);
                  return part.getName();
                });
          }
          default -> part.getEntity().discardBytes(mat).completionStage().thenApply(done -> {
            throw ApiError.badRequest("invalid_upload",
                "unexpected part '" + part.getName() + "'; send 'manifest' and 'artifact'");
          });
        })
        .runWith(Sink.ignore(), mat)
        .thenApply(done -> {
          if (manifest.get() == null) {
            throw ApiError.badRequest("invalid_upload", "the 'manifest' part is missing");
          }
          if (artifact.get() == null) {
            throw ApiError.badRequest("invalid_upload", "the 'artifact' part is missing");
          }
          String expected = manifest.get().sha256();
          if (expected != null && !expected.equals(artifact.get().sha256())) {
            throw ApiError.badRequest("checksum_mismatch",
                "artifact sha256 is " + artifact.get().sha256() + ", manifest says " + expected);
          }
          return new Result(manifest.get(), artifact.get());
        })
        .thenCompose(received -> admit(received, mat));
    return result.whenComplete((ok, failure) -> {
      if (failure != null) {
        release(artifact.get(), false);
      }
    });
  }

  /** The plaintext in a private temp directory for the check, deleted whatever the outcome. */
  private CompletionStage<Result> admit(Result received, Materializer mat) {
    Path dir;
    try {
      dir = Files.createTempDirectory("modelplane-admission-", PrivateFiles.DIRECTORY);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new UncheckedIOException("cannot create a private directory for the"
          + " model check", e));
    }
    ArtifactStore.StoredArtifact artifact = received.artifact();
    Path plain = dir.resolve("artifact");
    // reads the file (zip directory, code, pickles): blocking IO, off the stream's threads
    return store.decryptTo(artifact, plain, mat)
        .thenApplyAsync(done -> check(received, plain),
            mat.system().dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId()))
        .whenComplete((ok, failure) -> deleteRecursively(dir));
  }

  private static void deleteRecursively(Path dir) {
    try (Stream<Path> files = Files.walk(dir)) {
      for (Path path : files.sorted(Comparator.reverseOrder()).toList()) {
        Files.deleteIfExists(path);
      }
    } catch (IOException ignored) {
      // a private temp directory; the OS's temp cleaning removes what is left
    }
  }

  /** Refuses what is no model or may touch the server, before the version is registered. */
  private static Result check(Result received, Path plaintext) {
    ModelAdmission.Decision decision = ADMISSION.check(plaintext);
    if (decision instanceof ModelAdmission.Decision.Unsafe unsafe) {
      throw ApiError.badRequest("unsafe_model", "the model uses " + unsafe.operator() + ", which is not allowed: "
          + unsafe.reason() + "; only tensor operators may be called (see the README's model admission)");
    }
    if (decision instanceof ModelAdmission.Decision.Invalid invalid) {
      throw ApiError.badRequest("invalid_model", "the artifact is not a loadable TorchScript model: "
          + invalid.reason());
    }
    return received;
  }

  /** Ends the upload: {@code registered} false removes an artifact it newly stored (see {@link ArtifactStore#release}). */
  void release(ArtifactStore.StoredArtifact stored, boolean registered) {
    if (stored != null) {
      store.store().release(stored, registered);
    }
  }

  static VersionManifest parseManifest(byte[] bytes) {
    JsonNode node;
    try {
      node = Json.MAPPER.readTree(bytes);
    } catch (Exception e) {
      throw ApiError.badRequest("invalid_manifest", "the manifest part is not well-formed JSON");
    }
    if (node == null || !node.isObject()) {
      throw ApiError.badRequest("invalid_manifest", "the manifest part must be a JSON object");
    }
    VersionManifest manifest = Json.bind(node, VersionManifest.class);
    manifest.validate();
    return manifest;
  }
}
