package io.modelplane.api.view;

import io.modelplane.control.NodeResources;
import java.time.Instant;
import java.util.List;

/**
 * A node's resources in the operator's cluster view, as it sampled them at {@code sampledAt}; -1 for a figure
 * its platform does not offer. {@code gcPauseSecondsTotal}: time in garbage collections since it started.
 */
public record NodeResourcesView(Cpu cpu, Heap heap, NativeMemory nativeMemory, FileDescriptors fileDescriptors,
    Disk disk, double gcPauseSecondsTotal, List<Gpu> gpus, Instant sampledAt) {

  public static NodeResourcesView from(NodeResources.Sample s) {
    return new NodeResourcesView(
        new Cpu(s.cpu().processLoad(), s.cpu().systemLoad(), s.cpu().cores()),
        new Heap(s.heap().usedBytes(), s.heap().maxBytes()),
        new NativeMemory(s.nativeMemory().residentBytes(), s.nativeMemory().directBytes()),
        new FileDescriptors(s.fileDescriptors().open(), s.fileDescriptors().max()),
        new Disk(s.disk().dataDir(), s.disk().usedBytes(), s.disk().freeBytes(), s.disk().totalBytes()),
        s.gcPauseSecondsTotal(),
        s.gpus().stream().map(g -> new Gpu(g.device(), g.memoryUsedBytes(), g.memoryTotalBytes())).toList(),
        s.sampledAt());
  }

  /** The share of all cores busy (0..1, two decimals): this node's JVM and the whole machine. */
  public record Cpu(double processLoad, double systemLoad, int cores) {}

  public record Heap(long usedBytes, long maxBytes) {}

  public record NativeMemory(long residentBytes, long directBytes) {}

  public record FileDescriptors(long open, long max) {}

  public record Disk(String dataDir, long usedBytes, long freeBytes, long totalBytes) {}

  public record Gpu(String device, long memoryUsedBytes, long memoryTotalBytes) {}
}
