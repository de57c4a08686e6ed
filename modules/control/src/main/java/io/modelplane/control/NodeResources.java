package io.modelplane.control;

import com.sun.management.OperatingSystemMXBean;
import com.sun.management.UnixOperatingSystemMXBean;
import io.modelplane.common.CborSerializable;
import java.io.IOException;
import java.lang.management.BufferPoolMXBean;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.lang.management.MemoryUsage;
import java.nio.file.FileStore;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.function.Supplier;

/**
 * What a node uses of its machine, read from the JVM's management beans, {@code /proc/self/status} and the
 * data directory's file system: cheap enough to sample every few seconds. A figure the platform does not
 * offer is -1 (CPU load, resident bytes and file descriptors off Linux; disk figures when the directory is gone).
 */
public final class NodeResources {

  /** One sample of a node's resources; {@code gpus} empty on a node without a GPU worker. */
  public record Sample(Cpu cpu, Heap heap, NativeMemory nativeMemory, FileDescriptors fileDescriptors, Disk disk,
      double gcPauseSecondsTotal, List<Gpu> gpus, Instant sampledAt) implements CborSerializable {}

  /** {@code processLoad} and {@code systemLoad}: the share of all cores busy (0..1), for this JVM and the machine. */
  public record Cpu(double processLoad, double systemLoad, int cores) implements CborSerializable {}

  /** {@code maxBytes}: the heap's limit (-Xmx), or -1 when it has none. */
  public record Heap(long usedBytes, long maxBytes) implements CborSerializable {}

  /** {@code residentBytes}: the process's resident set (heap, native libraries, libtorch's tensors); {@code directBytes}: NIO direct buffers. */
  public record NativeMemory(long residentBytes, long directBytes) implements CborSerializable {}

  public record FileDescriptors(long open, long max) implements CborSerializable {}

  /** The file system of the data directory: {@code freeBytes} what this process may still write. */
  public record Disk(String dataDir, long usedBytes, long freeBytes, long totalBytes) implements CborSerializable {}

  /** One GPU of the node's workers: {@code device} as in worker ids ({@code gpu0}). */
  public record Gpu(String device, long memoryUsedBytes, long memoryTotalBytes) implements CborSerializable {}

  private static final Path PROC_STATUS = Path.of("/proc/self/status");

  private final Path dataDir;
  private final Supplier<List<Gpu>> gpus;
  private final Clock clock;

  /** {@code gpus}: the memory of the GPUs this node's workers use, read at each sample (empty without any). */
  public NodeResources(Path dataDir, Supplier<List<Gpu>> gpus, Clock clock) {
    this.dataDir = Objects.requireNonNull(dataDir, "dataDir");
    this.gpus = Objects.requireNonNull(gpus, "gpus");
    this.clock = Objects.requireNonNull(clock, "clock");
  }

  public Sample sample() {
    return new Sample(cpu(), heap(), nativeMemory(), fileDescriptors(), disk(dataDir), gcPauseSeconds(), gpus.get(),
        clock.instant());
  }

  private static Cpu cpu() {
    int cores = Runtime.getRuntime().availableProcessors();
    if (ManagementFactory.getOperatingSystemMXBean() instanceof OperatingSystemMXBean os) {
      return new Cpu(round(os.getProcessCpuLoad()), round(os.getCpuLoad()), cores);
    }
    return new Cpu(-1, -1, cores);
  }

  private static Heap heap() {
    MemoryUsage heap = ManagementFactory.getMemoryMXBean().getHeapMemoryUsage();
    return new Heap(heap.getUsed(), heap.getMax());
  }

  private static NativeMemory nativeMemory() {
    long direct = ManagementFactory.getPlatformMXBeans(BufferPoolMXBean.class).stream()
        .filter(pool -> pool.getName().equals("direct"))
        .mapToLong(BufferPoolMXBean::getMemoryUsed)
        .findFirst().orElse(-1);
    return new NativeMemory(residentBytes(), direct);
  }

  /** VmRSS of {@code /proc/self/status}, in bytes; -1 where there is none. */
  static long residentBytes() {
    try {
      for (String line : Files.readAllLines(PROC_STATUS)) {
        if (line.startsWith("VmRSS:")) {
          String[] parts = line.substring(6).trim().split("\\s+");
          return Long.parseLong(parts[0]) * 1024; // always kB
        }
      }
    } catch (IOException | RuntimeException e) {
      // not Linux, or no procfs mounted
    }
    return -1;
  }

  private static FileDescriptors fileDescriptors() {
    if (ManagementFactory.getOperatingSystemMXBean() instanceof UnixOperatingSystemMXBean unix) {
      return new FileDescriptors(unix.getOpenFileDescriptorCount(), unix.getMaxFileDescriptorCount());
    }
    return new FileDescriptors(-1, -1);
  }

  /** The file system holding {@code dir}: used is what is allocated, free what this process may still write. */
  public static Disk disk(Path dir) {
    try {
      FileStore store = Files.getFileStore(dir);
      long total = store.getTotalSpace();
      return new Disk(dir.toString(), total - store.getUnallocatedSpace(), store.getUsableSpace(), total);
    } catch (IOException e) {
      return new Disk(dir.toString(), -1, -1, -1);
    }
  }

  /** Time the JVM's collectors report in collections since start: the pauses, for the stop-the-world collectors of Java 17. */
  private static double gcPauseSeconds() {
    long millis = 0;
    for (GarbageCollectorMXBean gc : ManagementFactory.getGarbageCollectorMXBeans()) {
      millis += Math.max(0, gc.getCollectionTime());
    }
    return millis / 1000.0;
  }

  /** Two decimals (a load that moves in the third does not change the cluster view's tag); -1 when unknown. */
  private static double round(double load) {
    return load < 0 || Double.isNaN(load) ? -1 : Math.round(load * 100) / 100.0;
  }
}
