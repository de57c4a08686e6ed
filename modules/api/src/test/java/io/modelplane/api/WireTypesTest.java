package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.api.view.QuotaView;
import io.modelplane.common.HistoryEntry;
import io.modelplane.common.Quota;
import io.modelplane.common.Role;
import io.modelplane.common.TensorSpec;
import io.modelplane.inference.placement.PlacementCoordinator;
import io.modelplane.inference.worker.WorkerActor;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.api.Test;

/** The API's JSON refuses the journal's and the actors' types, however deep they hide, both ways. */
class WireTypesTest {
  static final Instant AT = Instant.parse("2026-01-01T00:00:00Z");

  static Stream<Object> domainValues() {
    TensorSpec tensor = new TensorSpec("input", "FP32", List.of(-1L, 64L));
    ModelEntity.VersionInfo version = new ModelEntity.VersionInfo(1, "a".repeat(64), 10, "torchscript",
        List.of(tensor), List.of(tensor), null, AT, "me", false);
    return Stream.of(
        Quota.defaults(),
        new HistoryEntry(1, "tenant_created", AT, "me", Map.of()),
        TenantEntity.Status.ACTIVE,
        new TenantEntity.ApiKeyInfo("k", "n", Role.DEVELOPER, AT, "me"),
        new TenantEntity.TenantSuspended(AT, "me"),
        version,
        tensor,
        new ModelEntity.DeploymentRevision(1, new ModelEntity.DeploymentSpec(Map.of(1, 100), 1, 8, 0), AT, "me"),
        new PlacementCoordinator.ReplicaView(1, "w", PlacementCoordinator.ReplicaState.READY, null),
        new WorkerActor.WorkerStatus("w", "cpu", 1, 0, List.of()),
        // hidden inside the plain containers routes build
        Map.of("versions", List.of(version)),
        List.of(Map.of("quota", Quota.defaults())));
  }

  @ParameterizedTest
  @MethodSource("domainValues")
  void domainTypesNeverReachTheWire(Object value) {
    assertThatThrownBy(() -> Json.response(StatusCodes.OK, value))
        .isInstanceOf(IllegalStateException.class)
        .rootCause().hasMessageContaining("is a domain type");
    assertThatThrownBy(() -> Json.MAPPER.valueToTree(value)).hasMessageContaining("is a domain type");
  }

  @Test
  void domainTypesAreNeverParsedFromRequests() throws Exception {
    JsonNode quota = Json.MAPPER.readTree("{\"maxModels\": 3}");
    assertThatThrownBy(() -> Json.bind(quota, Quota.class))
        .isInstanceOf(IllegalStateException.class).hasMessageContaining("not a wire type");
    JsonNode tensors = Json.MAPPER.readTree("{\"t\": [{\"name\": \"x\", \"datatype\": \"FP32\", \"shape\": [1]}]}");
    assertThatThrownBy(() -> Json.MAPPER.treeToValue(tensors, TensorHolder.class)).hasMessageContaining("is a domain type");
    assertThatThrownBy(() -> Json.MAPPER.readValue("\"active\"", TenantEntity.Status.class))
        .hasMessageContaining("is a domain type");
  }

  record TensorHolder(List<TensorSpec> t) {}

  @Test
  void viewsAndPlainValuesPass() {
    HttpResponse response = Json.response(StatusCodes.OK,
        Map.of("quota", QuotaView.from(Quota.defaults()), "at", AT, "roles", List.of("developer")));
    assertThat(response.status()).isEqualTo(StatusCodes.OK);
    assertThat(Json.bind(Json.MAPPER.valueToTree(QuotaView.from(Quota.defaults())), QuotaView.class).toQuota())
        .isEqualTo(Quota.defaults());
  }
}
