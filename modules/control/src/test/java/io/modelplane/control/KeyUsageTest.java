package io.modelplane.control;

import static io.modelplane.control.ControlFixtures.await;
import static io.modelplane.control.ControlFixtures.createTenant;
import static io.modelplane.control.ControlFixtures.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.Rejection;
import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import io.modelplane.identity.ApiKeyCredential;
import io.modelplane.tenancy.TenantEntity;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.concurrent.locks.LockSupport;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link KeyUsage}: last-used times noted in memory reach the tenant entities on report. */
class KeyUsageTest {
  private static final Instant NOON = Instant.parse("2026-11-30T12:00:30Z");

  static ControlTestNode node;
  static ControlPlane controlPlane;

  @BeforeAll
  static void start() {
    node = ControlTestNode.start("key-usage-test", true);
    controlPlane = node.controlPlane(Duration.ofSeconds(5), 3);
  }

  @AfterAll
  static void stop() {
    node.close();
  }

  @Test
  void aReportRecordsEachUsedKeyWithItsTenant() {
    ApiKeyCredential a = keyOf("usera");
    ApiKeyCredential b = keyOf("userb");
    ApiKeyCredential idle = ApiKeyCredential.generate(TenantId.of("userb"));
    await(controlPlane.tenant(TenantId.of("userb"), r -> new TenantEntity.CreateApiKey(idle.keyId(), "idle",
        Role.VIEWER, idle.secretHash(), "operator", r), TenantEntity.ApiKeyCreated.class));
    KeyUsage usage = new KeyUsage(controlPlane, Clock.fixed(NOON, ZoneOffset.UTC));

    usage.used(a.keyId());
    usage.used(b.keyId());
    usage.report();

    Instant minute = NOON.truncatedTo(ChronoUnit.MINUTES);
    eventually(() -> lastUsed("usera", a.keyId()), minute);
    eventually(() -> lastUsed("userb", b.keyId()), minute);
    assertThat(lastUsed("userb", idle.keyId())).isNull();
  }

  @Test
  void aKeyOfAnUnknownTenantIsDroppedWithoutCreatingTheTenant() {
    ApiKeyCredential known = keyOf("mixed");
    KeyUsage usage = new KeyUsage(controlPlane, Clock.fixed(NOON, ZoneOffset.UTC));
    usage.used(ApiKeyCredential.generate(TenantId.of("vanished")).keyId());
    usage.used(known.keyId());

    usage.report(); // never throws: the unknown tenant's refusal is logged

    eventually(() -> lastUsed("mixed", known.keyId()), NOON.truncatedTo(ChronoUnit.MINUTES));
    assertThat(refusal(controlPlane.tenantSummary(TenantId.of("vanished")), Rejection.Reason.NOT_FOUND).code())
        .isEqualTo("tenant_not_found");
  }

  @Test
  void aLaterUseMovesTheRecordedTimeOn() {
    ApiKeyCredential key = keyOf("twice");
    Instant[] now = {NOON};
    KeyUsage usage = new KeyUsage(controlPlane, new Clock() {
      @Override
      public java.time.ZoneId getZone() {
        return ZoneOffset.UTC;
      }

      @Override
      public Clock withZone(java.time.ZoneId zone) {
        return this;
      }

      @Override
      public Instant instant() {
        return now[0];
      }
    });
    usage.used(key.keyId());
    usage.report();
    eventually(() -> lastUsed("twice", key.keyId()), NOON.truncatedTo(ChronoUnit.MINUTES));

    now[0] = NOON.plus(Duration.ofMinutes(5));
    usage.used(key.keyId());
    usage.report();
    eventually(() -> lastUsed("twice", key.keyId()), now[0].truncatedTo(ChronoUnit.MINUTES));
  }

  private static ApiKeyCredential keyOf(String tenant) {
    createTenant(controlPlane, tenant, null);
    ApiKeyCredential key = ApiKeyCredential.generate(TenantId.of(tenant));
    await(controlPlane.tenant(TenantId.of(tenant), r -> new TenantEntity.CreateApiKey(key.keyId(), "ci",
        Role.DEVELOPER, key.secretHash(), "operator", r), TenantEntity.ApiKeyCreated.class));
    return key;
  }

  private static Instant lastUsed(String tenant, String keyId) {
    return await(controlPlane.tenantSummary(TenantId.of(tenant))).apiKeys().stream()
        .filter(k -> k.id().equals(keyId)).findFirst().orElseThrow().lastUsedAt();
  }

  private static void eventually(Supplier<Instant> actual, Instant expected) {
    Instant deadline = Instant.now().plus(ControlFixtures.WAIT);
    while (!expected.equals(actual.get())) {
      assertThat(Instant.now()).as("last used " + expected + " recorded in time").isBefore(deadline);
      LockSupport.parkNanos(Duration.ofMillis(100).toNanos());
    }
  }
}
