package io.modelplane.inference.runtime;

import ai.djl.Device;
import ai.djl.engine.Engine;

/** Which device a worker runs on: GPUs round-robin when present, else the CPU. */
public final class Devices {

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
}
