package io.modelplane.control;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.testkit.typed.javadsl.TestProbe;
import akka.actor.typed.ActorRef;
import com.typesafe.config.ConfigFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.Executors;
import java.util.concurrent.ExecutorService;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class NodeInfoTest {
  static ActorTestKit testKit;
  static ExecutorService sampling;

  @BeforeAll
  static void start() {
    testKit = ActorTestKit.create(ConfigFactory.parseString("""
        akka.actor.provider = cluster
        akka.remote.artery.canonical.hostname = 127.0.0.1
        akka.remote.artery.canonical.port = 0
        """));
    sampling = Executors.newSingleThreadExecutor();
  }

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
    sampling.shutdownNow();
  }

  @Test
  void answersItsLastSampleOfThisMachineAndTheSampleCrossesNodes(@TempDir Path dataDir) throws Exception {
    List<NodeResources.Gpu> gpus = List.of(new NodeResources.Gpu("gpu0", 3L << 30, 16L << 30));
    NodeResources resources = new NodeResources(dataDir, () -> gpus, Clock.systemUTC());
    ActorRef<NodeInfo.Command> info = testKit.spawn(NodeInfo.create(resources, Duration.ofMillis(200), sampling));
    TestProbe<NodeInfo.Node> probe = testKit.createTestProbe();
    NodeResources.Sample[] sample = new NodeResources.Sample[1];
    probe.awaitAssert(Duration.ofSeconds(5), () -> {
      info.tell(new NodeInfo.Get(probe.getRef()));
      sample[0] = probe.receiveMessage().resources();
      assertThat(sample[0]).isNotNull();
      return null;
    });
    NodeResources.Sample s = sample[0];
    assertThat(s.cpu().cores()).isEqualTo(Runtime.getRuntime().availableProcessors());
    assertThat(s.heap().usedBytes()).isPositive();
    assertThat(s.heap().maxBytes()).isEqualTo(Runtime.getRuntime().maxMemory());
    assertThat(s.nativeMemory().residentBytes()).as("Linux: VmRSS").isPositive();
    assertThat(s.fileDescriptors().open()).isPositive().isLessThanOrEqualTo(s.fileDescriptors().max());
    assertThat(s.disk().dataDir()).isEqualTo(dataDir.toString());
    assertThat(s.disk().totalBytes()).isEqualTo(Files.getFileStore(dataDir).getTotalSpace());
    assertThat(s.disk().freeBytes()).isPositive().isLessThanOrEqualTo(s.disk().totalBytes());
    assertThat(s.gcPauseSecondsTotal()).isNotNegative();
    assertThat(s.gpus()).isEqualTo(gpus);

    NodeInfo.Node node = new NodeInfo.Node("akka://x@127.0.0.1:1", Instant.EPOCH, s);
    assertThat(testKit.serializationTestKit().verifySerialization(node, true)).isEqualTo(node);
    NodeInfo.Node unsampled = new NodeInfo.Node("akka://x@127.0.0.1:1", Instant.EPOCH);
    assertThat(testKit.serializationTestKit().verifySerialization(unsampled, true)).isEqualTo(unsampled);
  }

  @Test
  void aDataDirectoryThatIsGoneReadsAsUnknown(@TempDir Path dir) {
    NodeResources.Disk disk = NodeResources.disk(dir.resolve("missing"));
    assertThat(disk.totalBytes()).isEqualTo(-1);
    assertThat(disk.freeBytes()).isEqualTo(-1);
  }
}
