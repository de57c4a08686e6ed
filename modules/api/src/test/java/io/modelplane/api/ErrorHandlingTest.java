package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.registry.ArtifactStoreException;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.util.concurrent.CompletionException;
import org.junit.jupiter.api.Test;

class ErrorHandlingTest {

  @Test
  void aFullDiskWhileStoringIsInsufficientStorageNotABadArtifact() {
    // what the JDK throws on ENOSPC, however deep the store wrapped it
    FileSystemException enospc = new FileSystemException("/data/artifacts/tmp/upload-1", null, "No space left on device");
    for (Throwable failure : new Throwable[] {
        new CompletionException(new ArtifactStoreException("could not store the artifact", enospc)),
        new UncheckedIOException(new IOException("No space left on device")),
        enospc}) {
      ApiError error = ErrorHandling.toApiError(failure);
      assertThat(error.status().intValue()).as(failure.toString()).isEqualTo(507);
      assertThat(error.code()).isEqualTo("insufficient_storage");
      assertThat(error.getMessage()).doesNotContain("/data");
    }
  }

  @Test
  void otherStoreFailuresKeepTheirMeaning() {
    ApiError invalid = ErrorHandling.toApiError(new ArtifactStoreException("not a TorchScript archive",
        new IOException("zip END header not found")));
    assertThat(invalid.status().intValue()).isEqualTo(400);
    assertThat(invalid.code()).isEqualTo("invalid_artifact");
    assertThat(ErrorHandling.toApiError(new IllegalStateException("boom")).status().intValue()).isEqualTo(500);
  }
}
