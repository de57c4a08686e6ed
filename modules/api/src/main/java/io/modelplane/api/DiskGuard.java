package io.modelplane.api;

import akka.NotUsed;
import akka.http.javadsl.model.StatusCodes;
import akka.stream.javadsl.Flow;
import akka.util.ByteString;
import com.typesafe.config.ConfigException;
import com.typesafe.config.ConfigFactory;
import com.typesafe.config.ConfigValueFactory;
import java.io.IOException;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Objects;
import java.util.OptionalLong;

/**
 * Keeps uploads from filling the disk of the artifact directory: refuses one (507 insufficient_storage) before
 * a byte is stored when the free space would fall under the minimum, and cuts one whose bytes bring it under
 * (the store then removes what it wrote). Reads the file system's real free space (other writers count too).
 * Errors say how much is free and needed, never where.
 */
public final class DiskGuard {
  /** How many upload bytes pass between two looks at the free space: a look is one cheap statfs call. */
  static final long CHECK_EVERY_BYTES = 1024 * 1024;

  private final Path dir;
  private final MinFree minFree;

  /** {@code dir}: where uploads are written (it or its nearest existing parent is looked at). */
  public DiskGuard(Path dir, MinFree minFree) {
    this.dir = Objects.requireNonNull(dir, "dir");
    this.minFree = Objects.requireNonNull(minFree, "minFree");
  }

  /**
   * The free space that must remain: a number of bytes or a share of the file system.
   * {@code percent} &lt; 0 when given in bytes.
   */
  public record MinFree(long bytes, double percent) {
    /**
     * Parses {@code 5%}, {@code 2GiB}, {@code 500MB}, {@code 1073741824} or {@code 0} (no minimum).
     *
     * @throws IllegalArgumentException naming the setting and what it accepts
     */
    public static MinFree parse(String setting) {
      String value = setting == null ? "" : setting.trim();
      try {
        if (value.endsWith("%")) {
          double percent = Double.parseDouble(value.substring(0, value.length() - 1).trim());
          if (percent >= 0 && percent < 100) {
            return new MinFree(-1, percent);
          }
        } else {
          long bytes = ConfigFactory.empty().withValue("v", ConfigValueFactory.fromAnyRef(value)).getBytes("v");
          if (bytes >= 0) {
            return new MinFree(bytes, -1);
          }
        }
      } catch (NumberFormatException | ConfigException e) {
        // reported below
      }
      throw new IllegalArgumentException("MODELPLANE_DISK_MIN_FREE (modelplane.disk-min-free) must be bytes (such as"
          + " 2GiB, 500MB or 1073741824) or a share of the disk under 100% (such as 5%), was '" + setting + "'");
    }

    long of(long totalBytes) {
      return percent < 0 ? bytes : (long) Math.ceil(totalBytes * percent / 100);
    }

    @Override
    public String toString() {
      return percent < 0 ? bytes + " bytes" : percent + "%";
    }
  }

  /** Refuses an upload of {@code expectedBytes} (empty: unknown) that would leave less than the minimum free. */
  public void checkRoom(OptionalLong expectedBytes) {
    Space space = space();
    long needed = expectedBytes.orElse(0);
    if (space != null && space.free() - needed < space.minimum()) {
      throw shortOfSpace(space, needed);
    }
  }

  /** Passes upload bytes on, failing the stream with 507 once the free space has fallen under the minimum. */
  public Flow<ByteString, ByteString, NotUsed> watch() {
    return Flow.<ByteString>create().statefulMapConcat(() -> {
      long[] sinceCheck = {0};
      return chunk -> {
        sinceCheck[0] += chunk.size();
        if (sinceCheck[0] >= CHECK_EVERY_BYTES) {
          sinceCheck[0] = 0;
          Space space = space();
          if (space != null && space.free() < space.minimum()) {
            throw shortOfSpace(space, 0);
          }
        }
        return List.of(chunk);
      };
    });
  }

  private record Space(long free, long total, long minimum) {}

  /** The file system's figures now; null when they cannot be read (then nothing is refused: the store reports real errors). */
  private Space space() {
    try {
      Path existing = dir;
      while (existing != null && !Files.exists(existing)) {
        existing = existing.getParent();
      }
      if (existing == null) {
        return null;
      }
      FileStore store = Files.getFileStore(existing);
      long total = store.getTotalSpace();
      return new Space(store.getUsableSpace(), total, minFree.of(total));
    } catch (IOException e) {
      return null;
    }
  }

  private ApiError shortOfSpace(Space space, long needed) {
    String upload = needed > 0 ? "this upload needs " + size(needed) + ", " : "";
    String minimum = minFree.percent() < 0 ? size(space.minimum())
        : size(space.minimum()) + " (" + minFree.percent() + "% of the disk)";
    return new ApiError(StatusCodes.INSUFFICIENT_STORAGE, "insufficient_storage", "the server is short of disk space"
        + " for uploads: " + size(space.free()) + " free, " + upload + minimum + " must stay free; retry once an"
        + " operator has made room");
  }

  /** Bytes as people read them: "812 bytes", "3.4 MiB", "1.2 GiB". */
  static String size(long bytes) {
    if (bytes < 1024) {
      return bytes + " bytes";
    }
    String[] units = {"KiB", "MiB", "GiB", "TiB", "PiB"};
    double value = bytes;
    int unit = -1;
    while (value >= 1024 && unit < units.length - 1) {
      value /= 1024;
      unit++;
    }
    return String.format(Locale.ROOT, "%.1f %s", value, units[unit]);
  }
}
