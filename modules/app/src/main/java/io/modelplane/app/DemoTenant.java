package io.modelplane.app;

import akka.actor.typed.ActorSystem;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.control.ControlPlane;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Role;
import io.modelplane.common.TensorSpec;
import io.modelplane.common.TenantId;
import io.modelplane.identity.ApiKeyCredential;
import io.modelplane.registry.TenantArtifacts;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * The dev node's first-start demo: tenant {@code demo}, a developer API key (printed once), and
 * model {@code digits} (the committed TorchScript MLP) registered and deployed, so the first
 * predict works right after start. Later starts find the tenant and do nothing.
 */
final class DemoTenant {
  static final TenantId TENANT = TenantId.of("demo");
  static final ModelKey MODEL = ModelKey.of("demo", "digits");
  private static final String ACTOR = "system:demo";
  private static final String RESOURCES = "/io/modelplane/inference/demo/";

  private final ControlPlane controlPlane;
  private final TenantArtifacts artifacts;
  private final ActorSystem<?> system;

  DemoTenant(ControlPlane controlPlane, TenantArtifacts artifacts, ActorSystem<?> system) {
    this.controlPlane = controlPlane;
    this.artifacts = artifacts;
    this.system = system;
  }

  /** {@code baseUrl}: where the node's API is bound, for the banner's example call. */
  CompletionStage<Void> ensure(String baseUrl) {
    return controlPlane.tenantSummary(TENANT)
        .thenApply(existing -> false)
        .exceptionally(failure -> {
          if (io.modelplane.common.Rejected.unwrap(failure) instanceof io.modelplane.common.Rejected e
              && "tenant_not_found".equals(e.rejection().code())) {
            return true;
          }
          throw new IllegalStateException("cannot check for the demo tenant", failure);
        })
        .thenCompose(missing -> missing ? create(baseUrl) : CompletableFuture.completedFuture(null));
  }

  private CompletionStage<Void> create(String baseUrl) {
    ApiKeyCredential key = ApiKeyCredential.generate(TENANT);
    JsonNode manifest = json(resource("digits-manifest.json"));
    ObjectMapper mapper = new ObjectMapper();
    List<TensorSpec> inputs = mapper.convertValue(manifest.get("inputs"), new TypeReference<>() {});
    List<TensorSpec> outputs = mapper.convertValue(manifest.get("outputs"), new TypeReference<>() {});
    return controlPlane.tenant(TENANT, r -> new TenantEntity.Create("Demo tenant", null, ACTOR, r), TenantEntity.Summary.class)
        .thenCompose(t -> controlPlane.tenant(TENANT, r -> new TenantEntity.CreateApiKey(key.keyId(), "demo developer",
            Role.DEVELOPER, key.secretHash(), ACTOR, r), TenantEntity.ApiKeyCreated.class))
        .thenCompose(k -> artifacts.store(TENANT, Source.single(ByteString.fromArray(resource("digits.pt"))), null, akka.stream.Materializer.matFromSystem(system)))
        .thenCompose(stored -> controlPlane.tenant(TENANT, r -> new TenantEntity.AddModel(MODEL.model().value(), ACTOR, r),
                TenantEntity.Summary.class)
            .thenCompose(t -> controlPlane.model(MODEL, r -> new ModelEntity.RegisterVersion(stored.sha256(), stored.sizeBytes(),
                manifest.get("format").asText(), inputs, outputs, manifest.path("description").asText(null), null,
                t.modelReservations().getOrDefault(MODEL.model().value(), 0L), ACTOR, r),
                ModelEntity.VersionAdded.class))
            .whenComplete((added, failure) -> artifacts.store().release(stored, failure == null)))
        .thenCompose(added -> controlPlane.model(MODEL, r -> new ModelEntity.Deploy(
            new ModelEntity.DeploymentSpec(Map.of(added.version().version(), 100), 1, 64, 0), null, ACTOR, r),
            ModelEntity.Deployed.class))
        .thenRun(() -> System.out.println("""

            ==== Demo tenant "demo" with model "digits" deployed. Its developer API key (shown once): ====
            %s
            Try: curl -s -X POST %s/v2/models/digits/infer -H "Authorization: Bearer $KEY" \\
                   -H 'Content-Type: application/json' -d @ops/scripts/digit-request.json
            ====
            """.formatted(key.token(), baseUrl)));
  }

  private static byte[] resource(String name) {
    try (InputStream in = DemoTenant.class.getResourceAsStream(RESOURCES + name)) {
      if (in == null) {
        throw new IllegalStateException(name + " is missing from the classpath");
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  private static JsonNode json(byte[] bytes) {
    try {
      return new ObjectMapper().readTree(bytes);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
