package io.modelplane.app;

import ai.djl.Device;
import ai.djl.util.cuda.CudaUtils;
import io.modelplane.control.NodeResources;
import io.modelplane.inference.runtime.Devices;
import io.prometheus.metrics.core.metrics.GaugeWithCallback;
import io.prometheus.metrics.instrumentation.jvm.JvmMetrics;
import io.prometheus.metrics.model.registry.PrometheusRegistry;
import java.lang.management.MemoryUsage;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * This node's machine seen by Prometheus: the client's standard JVM and process collectors (memory, buffer
 * pools, GC, threads, CPU, file descriptors, resident memory) plus what none of them gives: the data
 * directory's disk and the workers' GPU memory. Read at scrape time.
 */
final class NodeMetrics {
  private static final Logger log = LoggerFactory.getLogger(NodeMetrics.class);

  private NodeMetrics() {}

  /** {@code workerDevices}: the devices of this node's workers, read at each scrape (GPU gauges only for GPUs). */
  static void register(PrometheusRegistry registry, Path dataDir, Supplier<List<Device>> workerDevices) {
    JvmMetrics.builder().register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_data_dir_used_bytes")
        .help("Bytes in use on the file system of the node's data directory")
        .callback(cb -> known(NodeResources.disk(dataDir).usedBytes(), cb))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_data_dir_free_bytes")
        .help("Bytes the node may still write on the file system of its data directory")
        .callback(cb -> known(NodeResources.disk(dataDir).freeBytes(), cb))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_data_dir_total_bytes")
        .help("Size of the file system of the node's data directory")
        .callback(cb -> known(NodeResources.disk(dataDir).totalBytes(), cb))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_gpu_memory_used_bytes")
        .help("GPU memory in use per device of the node's workers (absent without a GPU)")
        .labelNames("device")
        .callback(cb -> gpuMemory(workerDevices.get()).forEach(g -> cb.call(g.memoryUsedBytes(), g.device())))
        .register(registry);
    GaugeWithCallback.builder()
        .name("modelplane_gpu_memory_total_bytes")
        .help("GPU memory per device of the node's workers (absent without a GPU)")
        .labelNames("device")
        .callback(cb -> gpuMemory(workerDevices.get()).forEach(g -> cb.call(g.memoryTotalBytes(), g.device())))
        .register(registry);
  }

  private static void known(long bytes, GaugeWithCallback.Callback cb) {
    if (bytes >= 0) {
      cb.call(bytes);
    }
  }

  /**
   * The memory of each GPU among {@code devices}, as CUDA reports it; empty without a GPU (CUDA is then never
   * touched). A GPU CUDA cannot report on is left out.
   */
  static List<NodeResources.Gpu> gpuMemory(List<Device> devices) {
    List<NodeResources.Gpu> gpus = new ArrayList<>();
    for (Device device : devices) {
      if (!device.isGpu()) {
        continue;
      }
      try {
        MemoryUsage memory = CudaUtils.getGpuMemory(device);
        gpus.add(new NodeResources.Gpu(Devices.name(device), memory.getUsed(), memory.getMax()));
      } catch (RuntimeException | LinkageError e) {
        log.debug("no memory figures for {}: {}", device, e.toString());
      }
    }
    return gpus;
  }
}
