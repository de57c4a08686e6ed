package io.modelplane.registry;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.common.TensorSpec;
import io.modelplane.registry.ModelEntity.DeploymentRevised;
import io.modelplane.registry.ModelEntity.DeploymentRolledBack;
import io.modelplane.registry.ModelEntity.DeploymentSpec;
import io.modelplane.registry.ModelEntity.VersionArchived;
import io.modelplane.registry.ModelEntity.VersionRegistered;
import io.modelplane.common.HistoryEntry;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ModelHistoryTest {
  private static final Instant AT = Instant.parse("2025-03-01T12:00:00Z");
  private static final String SHA = "ab".repeat(32);
  // plain Jackson with no modules: details must need nothing special to become JSON
  private static final ObjectMapper JSON = new ObjectMapper();

  @Test
  void aRegisteredVersionShowsItsArtifactAndSignature() throws Exception {
    VersionRegistered event = new VersionRegistered(3, SHA, 78_000L, "torchscript",
        List.of(new TensorSpec("pixels", "FP32", List.of(-1L, 64L))),
        List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L)), new TensorSpec("label", "INT64", List.of(-1L))),
        "digits MLP", AT, "alice");

    HistoryEntry entry = ModelHistory.describe(7, event);

    assertThat(entry.sequenceNr()).isEqualTo(7);
    assertThat(entry.type()).isEqualTo("version_registered");
    assertThat(entry.at()).isEqualTo(AT);
    assertThat(entry.actor()).isEqualTo("alice");
    assertThat(entry.details()).containsExactly(
        Map.entry("version", 3),
        Map.entry("sha256", SHA),
        Map.entry("sizeBytes", 78_000L),
        Map.entry("format", "torchscript"),
        Map.entry("inputs", List.of(Map.of("name", "pixels", "datatype", "FP32", "shape", List.of(-1L, 64L)))),
        Map.entry("outputs", List.of(
            Map.of("name", "logits", "datatype", "FP32", "shape", List.of(-1L, 10L)),
            Map.of("name", "label", "datatype", "INT64", "shape", List.of(-1L)))),
        Map.entry("description", "digits MLP"));
    assertThat(JSON.writeValueAsString(entry.details())).isEqualTo("{\"version\":3,\"sha256\":\"" + SHA + "\","
        + "\"sizeBytes\":78000,\"format\":\"torchscript\","
        + "\"inputs\":[{\"name\":\"pixels\",\"datatype\":\"FP32\",\"shape\":[-1,64]}],"
        + "\"outputs\":[{\"name\":\"logits\",\"datatype\":\"FP32\",\"shape\":[-1,10]},"
        + "{\"name\":\"label\",\"datatype\":\"INT64\",\"shape\":[-1]}],"
        + "\"description\":\"digits MLP\"}");
  }

  @Test
  void aVersionWithoutDescriptionShowsNull() {
    VersionRegistered event = new VersionRegistered(1, SHA, 1L, "torchscript",
        List.of(new TensorSpec("x", "FP32", List.of(1L))), List.of(new TensorSpec("y", "FP32", List.of(1L))),
        null, AT, "alice");
    assertThat(ModelHistory.describe(1, event).details()).containsEntry("description", null);
  }

  @Test
  void aRevisedDeploymentShowsTheTrafficSplitKeyedByVersion() throws Exception {
    DeploymentRevised event = new DeploymentRevised(4, new DeploymentSpec(Map.of(2, 10, 1, 90), 3, 32, 5), AT, "bob");

    HistoryEntry entry = ModelHistory.describe(9, event);

    assertThat(entry.type()).isEqualTo("deployment_revised");
    assertThat(entry.actor()).isEqualTo("bob");
    assertThat(entry.at()).isEqualTo(AT);
    assertThat(entry.details()).containsExactly(
        Map.entry("revision", 4L),
        Map.entry("traffic", Map.of("1", 90, "2", 10)),
        Map.entry("replicas", 3),
        Map.entry("maxBatchSize", 32),
        Map.entry("maxBatchDelayMs", 5));
    assertThat(JSON.writeValueAsString(entry.details())).isEqualTo(
        "{\"revision\":4,\"traffic\":{\"1\":90,\"2\":10},\"replicas\":3,\"maxBatchSize\":32,\"maxBatchDelayMs\":5}");
  }

  @Test
  void anAutoscaledRevisionShowsItsBoundsAndEachScalingItsReason() {
    DeploymentRevised revised = new DeploymentRevised(5, new DeploymentSpec(Map.of(1, 100), 1, 32, 0, null,
        new ModelEntity.Autoscaling(0, 4, 8, 300)), AT, "bob");
    assertThat(ModelHistory.describe(12, revised).details()).containsEntry("minReplicas", 0)
        .containsEntry("maxReplicas", 4).containsEntry("targetInFlight", 8).containsEntry("idleUnloadSeconds", 300);

    HistoryEntry scaled = ModelHistory.describe(13,
        new ModelEntity.ReplicasScaled(5, 1, 1, 0, "idle for 300 s", AT, "autoscaler"));

    assertThat(scaled.type()).isEqualTo("replicas_scaled");
    assertThat(scaled.actor()).isEqualTo("autoscaler");
    assertThat(scaled.details()).containsExactly(Map.entry("revision", 5L), Map.entry("version", 1),
        Map.entry("fromReplicas", 1), Map.entry("toReplicas", 0), Map.entry("reason", "idle for 300 s"));
  }

  @Test
  void aRollbackShowsFromWhichRevisionToWhich() {
    HistoryEntry entry = ModelHistory.describe(10, new DeploymentRolledBack(4, 2, AT, "carol"));

    assertThat(entry.type()).isEqualTo("deployment_rolled_back");
    assertThat(entry.sequenceNr()).isEqualTo(10);
    assertThat(entry.actor()).isEqualTo("carol");
    assertThat(entry.details()).containsExactly(Map.entry("fromRevision", 4L), Map.entry("toRevision", 2L));
  }

  @Test
  void anArchivedVersionShowsItsNumber() {
    HistoryEntry entry = ModelHistory.describe(11, new VersionArchived(2, AT, "dave"));

    assertThat(entry.type()).isEqualTo("version_archived");
    assertThat(entry.at()).isEqualTo(AT);
    assertThat(entry.actor()).isEqualTo("dave");
    assertThat(entry.details()).containsExactly(Map.entry("version", 2));
  }
}
