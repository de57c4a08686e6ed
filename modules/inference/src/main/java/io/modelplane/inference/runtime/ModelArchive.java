package io.modelplane.inference.runtime;

import io.modelplane.common.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Enumeration;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Tells the two zip-shaped artifacts apart (a TorchScript archive is itself a zip) and unpacks a
 * zipped DJL model directory without letting it escape its directory or fill the disk.
 */
final class ModelArchive {

  /** What an artifact is. */
  enum Kind {
    /** A TorchScript archive ({@code <prefix>/data.pkl}, {@code <prefix>/version}, ...). */
    TORCHSCRIPT,
    /** A zip of a DJL model directory holding a {@code .pt} (and optionally serving.properties). */
    MODEL_DIRECTORY
  }

  /** Entries an archive may list at all (a TorchScript archive has one per tensor storage). */
  static final int MAX_ENTRIES = 10_000;

  private ModelArchive() {}

  static Kind inspect(Path artifact) {
    boolean dataPkl = false;
    boolean version = false;
    boolean ptFile = false;
    try (ZipFile zip = new ZipFile(artifact.toFile())) {
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        String name = entries.nextElement().getName();
        int slash = name.indexOf('/');
        boolean oneLevelDeep = slash > 0 && name.indexOf('/', slash + 1) < 0;
        dataPkl |= oneLevelDeep && name.endsWith("/data.pkl");
        // torch writes <prefix>/version, or <prefix>/.data/version for some models
        version |= oneLevelDeep && name.endsWith("/version")
            || slash > 0 && name.substring(slash).equals("/.data/version");
        ptFile |= name.endsWith(".pt");
      }
    } catch (ZipException e) {
      throw new ModelLoadException("artifact " + artifact.getFileName() + " is neither a TorchScript archive nor a zip"
          + " of a model directory: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read artifact " + artifact + ": " + e.getMessage(), e);
    }
    if (dataPkl && version) {
      return Kind.TORCHSCRIPT;
    }
    if (ptFile) {
      return Kind.MODEL_DIRECTORY;
    }
    throw new ModelLoadException("artifact " + artifact.getFileName() + " is a zip but neither a TorchScript archive"
        + " (no <prefix>/data.pkl and <prefix>/version) nor a model directory (no .pt file)");
  }

  /**
   * The bytes the archive's entries hold once inflated, counted by inflating them (the sizes in the
   * entry headers are the archive's claim): for a TorchScript file, its tensor storages, code and
   * pickles, all of which the engine reads into memory. Stops counting past {@code cap} and returns
   * {@code cap + 1} then.
   */
  static long inflatedBytes(Path zip, long cap) {
    long total = 0;
    byte[] buffer = new byte[64 * 1024];
    try (ZipFile file = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> entries = file.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        if (entry.isDirectory()) {
          continue;
        }
        try (InputStream in = file.getInputStream(entry)) {
          int n;
          while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > cap) {
              return cap + 1;
            }
          }
        }
      }
      return total;
    } catch (ZipException e) {
      throw new ModelLoadException("artifact " + zip.getFileName() + " is not a readable zip: " + e.getMessage(), e);
    } catch (IOException e) {
      throw new ModelLoadException("cannot read artifact " + zip.getFileName() + ": " + e.getMessage(), e);
    }
  }

  /**
   * Unpacks {@code zip} into the empty directory {@code into}: at most {@code maxBytes} inflated in
   * all and {@code maxEntries} entries, files created owner-only.
   */
  static void extract(Path zip, Path into, long maxBytes, int maxEntries) {
    Path root = into.toAbsolutePath().normalize();
    long total = 0;
    int count = 0;
    byte[] buffer = new byte[64 * 1024];
    try (ZipFile file = new ZipFile(zip.toFile())) {
      Enumeration<? extends ZipEntry> entries = file.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        if (++count > maxEntries) {
          throw new ModelLoadException("model archive " + zip.getFileName() + " has more than " + maxEntries + " entries");
        }
        Path target = root.resolve(entry.getName()).normalize();
        if (!target.startsWith(root) || target.equals(root)) {
          throw new ModelLoadException("model archive entry '" + entry.getName() + "' points outside the model directory");
        }
        if (entry.isDirectory()) {
          Files.createDirectories(target, PrivateFiles.DIRECTORY);
          continue;
        }
        Files.createDirectories(target.getParent(), PrivateFiles.DIRECTORY);
        // count what is actually inflated: the sizes in the entry headers are the archive's claim
        try (InputStream in = file.getInputStream(entry); OutputStream out = Files.newOutputStream(
            Files.createFile(target, PrivateFiles.FILE))) {
          int n;
          while ((n = in.read(buffer)) > 0) {
            total += n;
            if (total > maxBytes) {
              throw new ModelLoadException("model archive " + zip.getFileName() + " unpacks to more than " + maxBytes
                  + " bytes (the limit for unpacked models)");
            }
            out.write(buffer, 0, n);
          }
        }
      }
    } catch (IOException e) {
      throw new ModelLoadException("cannot unpack model archive " + zip.getFileName() + ": " + e.getMessage(), e);
    }
  }
}
