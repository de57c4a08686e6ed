package io.modelplane.metering.billing;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.metering.BillableUsage;
import java.time.YearMonth;
import java.util.List;
import org.junit.jupiter.api.Test;

/** Statements of a known usage, with totals computed by hand. */
class PricingTest {
  static final YearMonth MONTH = YearMonth.of(2026, 11);
  /** 19.99 a month, 2.00 per million requests, 3.60 per compute hour, 0.50 per GiB-hour, in euro cents. */
  static final Plan PRO = new Plan("pro", "Pro", Quota.defaults(), new Plan.Prices(200, 360, 50, 1999), "EUR");
  static final long GIB = 1L << 30;

  @Test
  void eachLineIsItsExactQuantityTimesItsPriceRoundedHalfUp() {
    // 1,252,500 requests of which 250,000 errors: 1.0025 million billed x 200 = 200.5 -> 201
    // 5,405 s of compute = 1.5013888 h x 360 = 540.5 -> 541
    // 1 GiB for 43 minutes and 0.5 GiB for one: 43.5 GiB-minutes = 0.725 GiB-hours x 50 = 36.25 -> 36
    BillableUsage usage = new BillableUsage("acme", 1_252_500, 250_000, 1_300_000, 5_405_000_000L,
        43 * GIB + GIB / 2);

    Statement s = Pricing.statement(MONTH, usage, PRO);

    assertThat(s.tenant()).isEqualTo("acme");
    assertThat(s.month()).isEqualTo("2026-11");
    assertThat(s.plan()).isEqualTo("pro");
    assertThat(s.currency()).isEqualTo("EUR");
    assertThat(s.prices()).isEqualTo(new Statement.Prices(200, 360, 50, 1999));
    assertThat(s.usage()).isEqualTo(new Statement.Usage(1_252_500, 250_000, 1_300_000, 5_405.0, 0.725));
    assertThat(s.lines()).extracting(Statement.Line::item, Statement.Line::quantity, Statement.Line::unit,
            Statement.Line::unitPrice, Statement.Line::amount)
        .containsExactly(
            tuple("base", 1.0, "month", 1999L, 1999L),
            tuple("requests", 1.0025, "million requests", 200L, 201L),
            tuple("compute", 5_405.0 / 3_600, "compute hour", 360L, 541L),
            tuple("resident", 0.725, "GiB-hour", 50L, 36L));
    assertThat(s.total()).isEqualTo(1999 + 201 + 541 + 36);
  }

  @Test
  void lessThanHalfAMinorUnitRoundsDownAndAFreePlanBillsNothing() {
    // 2,400 requests x 200 / 1e6 = 0.48 -> 0; 1 s x 360 / 3600 = 0.1 -> 0; 12 GiB-minutes = 0.2 GiB-h x 50 = 10
    BillableUsage usage = new BillableUsage("acme", 2_400, 0, 2_400, 1_000_000, 12 * GIB);
    Statement pro = Pricing.statement(MONTH, usage, PRO);
    assertThat(pro.lines()).extracting(Statement.Line::amount).containsExactly(1999L, 0L, 0L, 10L);
    assertThat(pro.total()).isEqualTo(2009);

    Statement free = Pricing.statement(MONTH, usage, Plan.builtInDefault());
    assertThat(free.lines()).extracting(Statement.Line::amount).containsExactly(0L, 0L, 0L, 0L);
    assertThat(free.total()).isZero();
    assertThat(free.currency()).isEqualTo("USD");
  }

  @Test
  void noUsageStillOwesTheMonthlyBaseAndTheSameInputGivesTheSameStatement() {
    Statement first = Pricing.statement(MONTH, BillableUsage.none("idle"), PRO);
    assertThat(first.total()).isEqualTo(1999);
    assertThat(first.usage()).isEqualTo(new Statement.Usage(0, 0, 0, 0.0, 0.0));
    assertThat(Pricing.statement(MONTH, BillableUsage.none("idle"), PRO)).isEqualTo(first);
    // a month before the tenant was created owes no base
    assertThat(Pricing.statement(MONTH, BillableUsage.none("idle"), PRO, false).total()).isZero();
  }

  @Test
  void csvHasAHeaderAndOneLinePerTenantAndItemWithQuotedFields() {
    Plan odd = new Plan("odd", "Odd, \"quoted\"", Quota.defaults(), new Plan.Prices(1, 1, 1, 5), "USD");
    String csv = StatementCsv.of(List.of(Pricing.statement(MONTH, BillableUsage.none("a"), odd),
        Pricing.statement(MONTH, new BillableUsage("b", 3_000_000, 0, 3, 0, 0), PRO)));
    String[] lines = csv.split("\r\n");
    assertThat(lines).hasSize(1 + 8);
    assertThat(lines[0]).isEqualTo(StatementCsv.HEADER);
    assertThat(lines[1]).isEqualTo("2026-11,a,odd,USD,base,\"Monthly base of plan Odd, \"\"quoted\"\"\",1.0,month,5,5,5");
    assertThat(lines[6]).isEqualTo("2026-11,b,pro,EUR,requests,Predict requests answered without error,3.0,"
        + "million requests,200,600,2599");
    assertThat(StatementCsv.field("=SUM(A1)")).isEqualTo("'=SUM(A1)");
  }
}
