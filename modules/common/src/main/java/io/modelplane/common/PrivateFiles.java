package io.modelplane.common;

import java.io.IOException;
import java.nio.file.FileSystems;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.nio.file.attribute.FileAttribute;
import java.nio.file.attribute.PosixFilePermission;
import java.nio.file.attribute.PosixFilePermissions;
import java.util.Set;

/**
 * The modes of what a node keeps on disk: directories 0700, files 0600, model artifacts 0400 (read
 * only, even for the node). Created with these modes, never widened by the umask; on a file system
 * without POSIX permissions the attributes are left out.
 */
public final class PrivateFiles {
  public static final Set<PosixFilePermission> DIRECTORY_MODE = PosixFilePermissions.fromString("rwx------");
  public static final Set<PosixFilePermission> FILE_MODE = PosixFilePermissions.fromString("rw-------");
  public static final Set<PosixFilePermission> READ_ONLY_MODE = PosixFilePermissions.fromString("r--------");

  private static final boolean POSIX = FileSystems.getDefault().supportedFileAttributeViews().contains("posix");

  /** For {@code Files.createDirectory(ies)}: 0700. */
  public static final FileAttribute<?>[] DIRECTORY = attribute(DIRECTORY_MODE);
  /** For {@code Files.createFile}: 0600. */
  public static final FileAttribute<?>[] FILE = attribute(FILE_MODE);

  private PrivateFiles() {}

  private static FileAttribute<?>[] attribute(Set<PosixFilePermission> mode) {
    return POSIX ? new FileAttribute<?>[] {PosixFilePermissions.asFileAttribute(mode)} : new FileAttribute<?>[0];
  }

  /** Creates {@code dir} (and missing parents) 0700, and makes it 0700 if it existed. */
  public static Path directory(Path dir) throws IOException {
    Files.createDirectories(dir, DIRECTORY);
    setMode(dir, DIRECTORY_MODE);
    return dir;
  }

  /** Sets {@code path}'s mode where the file system has POSIX permissions. */
  public static void setMode(Path path, Set<PosixFilePermission> mode) throws IOException {
    if (POSIX) {
      Files.setPosixFilePermissions(path, mode);
    }
  }

  /**
   * Tightens a tree made before these modes (or by a library that does not set them): directories
   * become 0700 and files lose every bit for group and others (a read-only file stays read-only).
   */
  public static void tighten(Path root) throws IOException {
    if (!POSIX || !Files.exists(root)) {
      return;
    }
    Files.walkFileTree(root, new SimpleFileVisitor<>() {
      @Override
      public FileVisitResult preVisitDirectory(Path dir, BasicFileAttributes attrs) throws IOException {
        Files.setPosixFilePermissions(dir, DIRECTORY_MODE);
        return FileVisitResult.CONTINUE;
      }

      @Override
      public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
        if (attrs.isRegularFile()) {
          Set<PosixFilePermission> mode = Files.getPosixFilePermissions(file);
          boolean writable = mode.contains(PosixFilePermission.OWNER_WRITE);
          Files.setPosixFilePermissions(file, writable ? FILE_MODE : READ_ONLY_MODE);
        }
        return FileVisitResult.CONTINUE;
      }
    });
  }
}
