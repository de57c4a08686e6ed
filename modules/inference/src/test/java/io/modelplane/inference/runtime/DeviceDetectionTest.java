package io.modelplane.inference.runtime;

import static org.assertj.core.api.Assertions.assertThat;

import ai.djl.Device;
import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.io.File;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.slf4j.LoggerFactory;

/**
 * A worker node's start detects its devices: in a JVM of its own, since DJL probes for CUDA only the
 * first time its engine loads and another test of this JVM may have loaded it already.
 */
class DeviceDetectionTest {

  @Test
  void withoutAGpuTheStartLogsTheDeviceOnceAndNoCudaWarning() throws Exception {
    String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
    Process child = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
        "-Dai.djl.offline=true", "-cp", classPath, Probe.class.getName())
        .redirectErrorStream(true)
        .redirectInput(ProcessBuilder.Redirect.from(new File("/dev/null")))
        .start();
    String out;
    try {
      assertThat(child.waitFor(120, TimeUnit.SECONDS)).as("the probe ends").isTrue();
      out = new String(child.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
    } finally {
      child.destroyForcibly();
    }
    assertThat(child.exitValue()).as(out).isZero();
    List<String> events = out.lines().filter(l -> l.startsWith("EVENT ")).toList();
    if (out.contains("GPUS 0")) {
      assertThat(events).as(out).noneMatch(e -> e.startsWith("EVENT WARN") && e.matches("(?i).*(gpu|cuda).*"));
      assertThat(events).as(out).containsOnlyOnce("EVENT INFO " + Devices.class.getName()
          + " inference device: cpu (no GPU found)");
    } else {
      assertThat(events).as(out).anyMatch(e -> e.startsWith("EVENT INFO " + Devices.class.getName()
          + " inference devices: [gpu0"));
    }
  }

  /** What a worker node does at start, with every log event of the JVM captured and printed. */
  public static final class Probe {
    public static void main(String[] args) {
      Logger root = (Logger) LoggerFactory.getLogger(org.slf4j.Logger.ROOT_LOGGER_NAME);
      root.setLevel(Level.INFO);
      ListAppender<ILoggingEvent> captured = new ListAppender<>();
      captured.start();
      root.addAppender(captured);
      List<Device> devices = Devices.detect();
      System.out.println("GPUS " + devices.stream().filter(Device::isGpu).count());
      for (ILoggingEvent e : captured.list) {
        System.out.println("EVENT " + e.getLevel() + " " + e.getLoggerName() + " " + e.getFormattedMessage());
      }
    }
  }
}
