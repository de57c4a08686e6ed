package io.modelplane.common;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class PrivateFilesTest {

  @TempDir
  Path root;

  @Test
  void tighteningTakesEveryBitFromGroupAndOthersAndKeepsReadOnlyFilesReadOnly() throws Exception {
    Path dir = Files.createDirectories(root.resolve("a/b"));
    Path writable = Files.writeString(dir.resolve("journal.db"), "x");
    Path readOnly = Files.writeString(dir.resolve("artifact"), "y");
    Files.setPosixFilePermissions(root.resolve("a"), PosixFilePermissions.fromString("rwxr-xr-x"));
    Files.setPosixFilePermissions(writable, PosixFilePermissions.fromString("rw-rw-r--"));
    Files.setPosixFilePermissions(readOnly, PosixFilePermissions.fromString("r--r--r--"));

    PrivateFiles.tighten(root);

    assertThat(Files.getPosixFilePermissions(root.resolve("a"))).isEqualTo(PrivateFiles.DIRECTORY_MODE);
    assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PrivateFiles.DIRECTORY_MODE);
    assertThat(Files.getPosixFilePermissions(writable)).isEqualTo(PrivateFiles.FILE_MODE);
    assertThat(Files.getPosixFilePermissions(readOnly)).isEqualTo(PrivateFiles.READ_ONLY_MODE);
  }

  @Test
  void directoriesAndFilesAreCreatedOwnerOnlyWhateverTheUmask() throws Exception {
    Path dir = PrivateFiles.directory(root.resolve("x/y"));
    Path file = Files.createFile(dir.resolve("f"), PrivateFiles.FILE);
    assertThat(Files.getPosixFilePermissions(dir)).isEqualTo(PosixFilePermissions.fromString("rwx------"));
    assertThat(Files.getPosixFilePermissions(file)).isEqualTo(PosixFilePermissions.fromString("rw-------"));
  }
}
