package io.modelplane.inference.runtime;

import ai.djl.Device;
import ch.qos.logback.classic.Level;
import ai.djl.engine.Engine;
import java.io.File;
import java.util.ArrayList;
import java.util.List;
import java.util.function.IntSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Which device a worker runs on: GPUs round-robin when present, else the CPU. */
public final class Devices {
  private static final Logger log = LoggerFactory.getLogger(Devices.class);
  /** DJL's CUDA probe: it warns on every start of a machine that has a CUDA runtime but no usable GPU. */
  static final String CUDA_PROBE_LOGGER = "ai.djl.util.cuda.CudaUtils";
  /** Where the NVIDIA driver lists the GPUs it drives (Linux). */
  private static final File NVIDIA_GPUS = new File("/proc/driver/nvidia/gpus");

  private Devices() {}

  public static Device pick(int gpuCount, int workerIndex) {
    if (workerIndex < 0) {
      throw new IllegalArgumentException("workerIndex must not be negative, was " + workerIndex);
    }
    return gpuCount > 0 ? Device.gpu(workerIndex % gpuCount) : Device.cpu();
  }

  /** The GPUs the PyTorch engine sees (0 on CPU-only builds of libtorch). */
  public static int gpuCount() {
    return Engine.getEngine(DjlLoadedModel.ENGINE).getGpuCount();
  }

  /**
   * The devices this node's workers run on, one worker each: every GPU the engine sees, else the CPU;
   * logged once at INFO. DJL's warnings while it probes for CUDA are kept out of the log: on a machine
   * without a GPU they are noise. A GPU the driver lists but the engine cannot use is still a warning.
   */
  public static List<Device> detect() {
    int gpus = quietly(Devices::gpuCount);
    List<Device> devices = new ArrayList<>();
    for (int i = 0; i < Math.max(1, gpus); i++) {
      devices.add(pick(gpus, i));
    }
    if (gpus > 0) {
      log.info("inference devices: {} ({} GPU{})", devices.stream().map(Devices::name).toList(), gpus,
          gpus == 1 ? "" : "s");
    } else if (driverListsGpus()) {
      log.warn("inference device: cpu; the NVIDIA driver lists a GPU but the PyTorch engine cannot use it (a CPU-only"
          + " libtorch, or a CUDA driver older than its runtime): point PYTORCH_LIBRARY_PATH at a CUDA build of libtorch");
    } else {
      log.info("inference device: cpu (no GPU found)");
    }
    return devices;
  }

  /** A device's short name for worker ids: {@code cpu0}, {@code gpu0}, {@code gpu1}… */
  public static String name(Device device) {
    return device.getDeviceType() + Math.max(0, device.getDeviceId());
  }

  private static boolean driverListsGpus() {
    String[] gpus = NVIDIA_GPUS.list();
    return gpus != null && gpus.length > 0;
  }

  /** Runs {@code probe} with DJL's CUDA probe logging errors only (when logback is the logger). */
  private static int quietly(IntSupplier probe) {
    if (!QuietLogger.AVAILABLE) {
      return probe.getAsInt();
    }
    return QuietLogger.errorsOnly(CUDA_PROBE_LOGGER, probe);
  }

  /** Kept apart so that nothing touches logback's classes where logback is absent (it is optional). */
  private static final class QuietLogger {
    static final boolean AVAILABLE = present("ch.qos.logback.classic.Logger")
        && LoggerFactory.getLogger(CUDA_PROBE_LOGGER).getClass().getName().equals("ch.qos.logback.classic.Logger");

    static int errorsOnly(String name, IntSupplier probe) {
      // logback's Logger: the name Logger is slf4j's here
      var logger = (ch.qos.logback.classic.Logger) LoggerFactory.getLogger(name);
      Level before = logger.getLevel();
      logger.setLevel(Level.ERROR);
      try {
        return probe.getAsInt();
      } finally {
        logger.setLevel(before);
      }
    }

    private static boolean present(String className) {
      try {
        Class.forName(className, false, Devices.class.getClassLoader());
        return true;
      } catch (ClassNotFoundException e) {
        return false;
      }
    }
  }
}
