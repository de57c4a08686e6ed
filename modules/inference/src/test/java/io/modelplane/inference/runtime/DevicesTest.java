package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ai.djl.Device;
import org.junit.jupiter.api.Test;

class DevicesTest {

  @Test
  void theCpuWithoutGpus() {
    assertThat(Devices.pick(0, 0)).isEqualTo(Device.cpu());
    assertThat(Devices.pick(0, 5)).isEqualTo(Device.cpu());
  }

  @Test
  void workersRoundRobinOverGpus() {
    assertThat(Devices.pick(1, 0)).isEqualTo(Device.gpu(0));
    assertThat(Devices.pick(1, 3)).isEqualTo(Device.gpu(0));
    assertThat(Devices.pick(2, 0)).isEqualTo(Device.gpu(0));
    assertThat(Devices.pick(2, 1)).isEqualTo(Device.gpu(1));
    assertThat(Devices.pick(2, 2)).isEqualTo(Device.gpu(0));
    assertThat(Devices.pick(4, 7)).isEqualTo(Device.gpu(3));
    assertThatThrownBy(() -> Devices.pick(2, -1)).isInstanceOf(IllegalArgumentException.class);
  }

  @Test
  void devicesHaveShortNamesForWorkerIds() {
    assertThat(Devices.name(Device.cpu())).isEqualTo("cpu0");
    assertThat(Devices.name(Device.gpu(0))).isEqualTo("gpu0");
    assertThat(Devices.name(Device.gpu(3))).isEqualTo("gpu3");
  }

  @Test
  void detectionGivesOneDevicePerWorkerAsTheEngineSeesThem() {
    int gpus = Devices.gpuCount();
    assertThat(Devices.detect()).hasSize(Math.max(1, gpus)).allMatch(d -> d.isGpu() == gpus > 0);
  }

  @Test
  void theEnginesGpuCountDecidesTheDevice() {
    int gpus = Devices.gpuCount();
    assertThat(gpus).isNotNegative();
    assertThat(Devices.pick(gpus, 0).isGpu()).isEqualTo(gpus > 0);
  }
}
