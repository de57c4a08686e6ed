package io.modelplane.control.billing;

import io.modelplane.common.TenantId;
import io.modelplane.control.PlanLookup;
import io.modelplane.control.readside.TenantDirectory;
import io.modelplane.metering.BillableUsage;
import io.modelplane.metering.UsageStore;
import io.modelplane.metering.billing.Pricing;
import io.modelplane.metering.billing.Statement;
import java.sql.SQLException;
import java.time.Instant;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;

/**
 * Monthly statements: the usage tables' exact totals of a calendar month (UTC) priced at each tenant's plan.
 * Computed from the durable tables only, so a month gives the same statements on every node and after a
 * restart (as long as the tenants' plans keep their prices).
 */
public final class Billing {

  /** Every tenant's statement of a month, [from, to), and the sum of the totals per currency. */
  public record MonthStatements(String month, Instant from, Instant to, List<Statement> statements,
      List<CurrencyTotal> totals) {}

  public record CurrencyTotal(String currency, long total) {}

  private final TenantDirectory tenants;
  private final UsageStore usage;
  private final Executor blocking;
  private final PlanLookup plans;

  /** {@code blocking}: where the usage queries run. */
  public Billing(TenantDirectory tenants, UsageStore usage, Executor blocking, PlanLookup plans) {
    this.tenants = tenants;
    this.usage = usage;
    this.blocking = blocking;
    this.plans = plans;
  }

  public static Instant start(YearMonth month) {
    return month.atDay(1).atStartOfDay(ZoneOffset.UTC).toInstant();
  }

  /** One tenant's statement; {@code createdAt} tells whether it existed in the month. */
  public CompletionStage<Statement> statement(TenantId tenant, Instant createdAt, YearMonth month) {
    Instant from = start(month);
    Instant to = start(month.plusMonths(1));
    return plans.planOf(tenant).thenCombine(query(tenant.value(), from, to), (plan, totals) ->
        Pricing.statement(month, totals.getOrDefault(tenant.value(), BillableUsage.none(tenant.value())), plan,
            createdAt.isBefore(to)));
  }

  /** The statement of every tenant that existed in the month, suspended and deleted ones included, ordered by tenant. */
  public CompletionStage<MonthStatements> statements(YearMonth month) {
    Instant from = start(month);
    Instant to = start(month.plusMonths(1));
    // plans from the read tables (one query), not one entity ask per tenant: the platform may have many
    return tenants.billed().thenCombine(query(null, from, to), (all, totals) -> {
      List<Statement> statements = new ArrayList<>(all.size());
      Map<String, Long> byCurrency = new TreeMap<>();
      for (TenantDirectory.Billed t : all) {
        if (!t.createdAt().isBefore(to) || t.deletedAt() != null && !t.deletedAt().isAfter(from)) {
          continue; // created after the month, or deleted before it began
        }
        Statement s = Pricing.statement(month, totals.getOrDefault(t.id(), BillableUsage.none(t.id())), t.plan());
        statements.add(s);
        byCurrency.merge(s.currency(), s.total(), Long::sum);
      }
      List<CurrencyTotal> sums = byCurrency.entrySet().stream()
          .map(e -> new CurrencyTotal(e.getKey(), e.getValue())).toList();
      return new MonthStatements(month.toString(), from, to, statements, sums);
    });
  }

  private CompletableFuture<Map<String, BillableUsage>> query(String tenant, Instant from, Instant to) {
    return CompletableFuture.supplyAsync(() -> {
      try {
        return usage.billableUsage(tenant, from, to);
      } catch (SQLException e) {
        throw new CompletionException(e);
      }
    }, blocking);
  }
}
