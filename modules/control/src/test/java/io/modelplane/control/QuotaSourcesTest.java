package io.modelplane.control;

import static io.modelplane.control.ControlFixtures.await;
import static io.modelplane.control.ControlFixtures.createTenant;
import static io.modelplane.control.ControlFixtures.failure;
import static io.modelplane.control.ControlFixtures.refusal;
import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.QuotaOverrides;
import io.modelplane.common.Rejection;
import io.modelplane.common.TenantId;
import io.modelplane.metering.MinuteCount;
import io.modelplane.metering.UsageStore;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Set;
import io.modelplane.tenancy.TenantEntity;
import io.modelplane.tenancy.plan.PlanEntity;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** {@link QuotaSources}: limits from the tenant entity, this month's compute from the usage table (H2). */
class QuotaSourcesTest {
  static ControlTestNode node;
  static ControlPlane controlPlane;
  static ExecutorService blocking;

  @BeforeAll
  static void start() {
    node = ControlTestNode.start("quota-sources-test", true);
    controlPlane = node.controlPlane(Duration.ofSeconds(5), 3);
    blocking = Executors.newSingleThreadExecutor();
  }

  @AfterAll
  static void stop() {
    blocking.shutdownNow();
    node.close();
  }

  @Test
  void theQuotaIsTheTenantsAndAnUnknownTenantIsNotFound() {
    UsageStore store = UsageStore.open("jdbc:h2:mem:quota-sources-usage-1;DB_CLOSE_DELAY=-1", "", "");
    try {
      Quota plan = new Quota(5.0, 10, 2, 3, 4, 1024L, 60L);
      createTenant(controlPlane, "metered", plan);
      QuotaSources sources = new QuotaSources(controlPlane, store, blocking);
      assertThat(await(sources.quota(TenantId.of("metered")))).isEqualTo(plan);
      assertThat(refusal(sources.quota(TenantId.of("unmetered")), Rejection.Reason.NOT_FOUND).code())
          .isEqualTo("tenant_not_found");
    } finally {
      store.close();
    }
  }


  @Test
  void aTenantOnAPlanHasThePlansQuotaAsItIsNowWithItsOverrides() {
    UsageStore store = UsageStore.open("jdbc:h2:mem:quota-sources-usage-plan;DB_CLOSE_DELAY=-1", "", "");
    try {
      Quota silver = new Quota(20.0, 40, 4, 5, 5, null, null);
      Plan plan = new Plan("silver", "Silver", silver, new Plan.Prices(100, 0, 0, 0), "USD");
      await(controlPlane.plan("silver", r -> new PlanEntity.Create(plan, "op", r), PlanEntity.Details.class));
      QuotaOverrides burst = QuotaOverrides.of(new Quota(null, 99, null, null, null, null, null), Set.of("burst"));
      await(controlPlane.tenant(TenantId.of("on-silver"), r -> new TenantEntity.Create("On silver", "silver", silver,
          burst, "op", r, null), TenantEntity.Summary.class));
      QuotaSources sources = new QuotaSources(controlPlane, store, blocking);
      assertThat(await(sources.quota(TenantId.of("on-silver")))).isEqualTo(new Quota(20.0, 99, 4, 5, 5, null, null));

      Plan slower = new Plan("silver", "Silver", new Quota(1.0, 2, 1, 5, 5, null, null), plan.prices(), "USD");
      await(controlPlane.plan("silver", r -> new PlanEntity.Update(slower, "op", r), PlanEntity.Details.class));

      // the next read has the plan's new quota: nothing of the tenant changed
      assertThat(await(sources.quota(TenantId.of("on-silver")))).isEqualTo(new Quota(1.0, 99, 1, 5, 5, null, null));
      assertThat(await(controlPlane.planOf(TenantId.of("on-silver")))).isEqualTo(slower);
      assertThat(refusal(controlPlane.planOf(TenantId.of("nobody")), Rejection.Reason.NOT_FOUND).code())
          .isEqualTo("tenant_not_found");
    } finally {
      store.close();
    }
  }

  @Test
  void computeCountsThisCalendarMonthOnly() throws SQLException {
    UsageStore store = UsageStore.open("jdbc:h2:mem:quota-sources-usage-2;DB_CLOSE_DELAY=-1", "", "");
    try {
      Instant monthStart = LocalDate.now(ZoneOffset.UTC).withDayOfMonth(1).atStartOfDay(ZoneOffset.UTC).toInstant();
      long lastMonth = monthStart.minus(Duration.ofMinutes(1)).toEpochMilli();
      long thisMonth = monthStart.toEpochMilli();
      store.write(List.of(
          new MinuteCount("busy", "digits", "1", lastMonth, 200, "node-a", 5, 5, 7_000),
          new MinuteCount("busy", "digits", "1", thisMonth, 200, "node-a", 3, 3, 1_500),
          new MinuteCount("busy", "digits", "2", thisMonth, 500, "node-b", 1, 1, 250),
          new MinuteCount("other", "digits", "1", thisMonth, 200, "node-a", 9, 9, 99_000)));
      QuotaSources sources = new QuotaSources(controlPlane, store, blocking);
      assertThat(await(sources.computeMicrosThisMonth(TenantId.of("busy")))).isEqualTo(1_750L);
      assertThat(await(sources.computeMicrosThisMonth(TenantId.of("idle")))).isZero();
    } finally {
      store.close();
    }
  }

  @Test
  void anUnreadableUsageTableFailsTheComputeWithItsSqlError() {
    UsageStore store = UsageStore.open("jdbc:h2:mem:quota-sources-usage-3;DB_CLOSE_DELAY=-1", "", "");
    store.close(); // the pool is gone: every query fails
    QuotaSources sources = new QuotaSources(controlPlane, store, blocking);
    assertThat(failure(sources.computeMicrosThisMonth(TenantId.of("busy")))).isInstanceOf(SQLException.class);
  }
}
