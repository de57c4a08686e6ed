package io.modelplane.api;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.ContentTypes;
import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.model.headers.RawHeader;
import akka.http.javadsl.server.Route;
import io.modelplane.common.TenantId;
import io.modelplane.control.ControlPlane;
import io.modelplane.control.billing.Billing;
import io.modelplane.control.billing.PlatformOverview;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import io.modelplane.metering.billing.Statement;
import io.modelplane.metering.billing.StatementCsv;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.YearMonth;
import java.time.ZoneOffset;
import java.time.format.DateTimeParseException;
import java.util.List;
import java.util.Optional;
import java.util.regex.Pattern;

/**
 * {@code GET /admin/billing?month}: every tenant's statement of a month; {@code GET /tenants/{t}/billing?month}:
 * one tenant's (its tenant-admin, or the operator); both as CSV with {@code Accept: text/csv}.
 * {@code GET /admin/overview}: the platform at a glance.
 */
final class BillingRoutes extends ApiDirectives {
  private static final Pattern MONTH = Pattern.compile("\\d{4}-\\d{2}");

  private final ControlPlane controlPlane;
  private final Billing billing;
  private final PlatformOverview overview;
  private final Clock clock;

  BillingRoutes(ControlPlane controlPlane, Billing billing, PlatformOverview overview, Clock clock) {
    this.controlPlane = controlPlane;
    this.billing = billing;
    this.overview = overview;
    this.clock = clock;
  }

  /** {@code /admin/billing} and {@code /admin/overview}, for the operator. */
  Route platformRoutes(Principal principal) {
    return concat(
        path(segment("admin").slash("billing"), () -> get(() ->
            authorized(principal, Action.MANAGE_TENANTS, null, () -> parameterOptional("month", month ->
                csvWanted(csv -> respond(billing.statements(month(month)).thenApply(all -> csv
                    ? csv(all.month(), all.statements())
                    : Json.response(StatusCodes.OK, all)))))))),
        path(segment("admin").slash("overview"), () -> get(() ->
            authorized(principal, Action.MANAGE_TENANTS, null, () ->
                respond(overview.overview().thenApply(view -> Json.response(StatusCodes.OK, view)))))));
  }

  /** {@code /tenants/{tenant}/billing}. */
  Route routes(Principal principal, TenantId tenant) {
    return path("billing", () -> get(() -> authorized(principal, Action.READ_USAGE, tenant, () ->
        parameterOptional("month", month -> csvWanted(csv -> {
          YearMonth m = month(month);
          // an unknown tenant is 404, as everywhere
          return respond(controlPlane.tenantSummary(tenant)
              .thenCompose(summary -> billing.statement(tenant, summary.createdAt(), m))
              .thenApply(s -> csv ? csv(s.month(), List.of(s)) : Json.response(StatusCodes.OK, s)));
        })))));
  }

  private Route csvWanted(java.util.function.Function<Boolean, Route> inner) {
    return optionalHeaderValueByName("Accept", accept ->
        inner.apply(accept.map(a -> a.toLowerCase(java.util.Locale.ROOT).contains("text/csv")).orElse(false)));
  }

  private static HttpResponse csv(String month, List<Statement> statements) {
    return HttpResponse.create()
        .withEntity(ContentTypes.TEXT_CSV_UTF8, StatementCsv.of(statements).getBytes(StandardCharsets.UTF_8))
        .addHeader(RawHeader.create("Content-Disposition",
            "attachment; filename=\"modelplane-billing-" + month + ".csv\""));
  }

  /** The month asked for (default: this month, UTC); 400 when malformed or still to come. */
  private YearMonth month(Optional<String> param) {
    YearMonth now = YearMonth.now(clock.withZone(ZoneOffset.UTC));
    if (param.isEmpty()) {
      return now;
    }
    YearMonth month;
    try {
      if (!MONTH.matcher(param.get()).matches()) {
        throw new DateTimeParseException("not YYYY-MM", param.get(), 0);
      }
      month = YearMonth.parse(param.get());
    } catch (DateTimeParseException e) {
      throw ApiError.badRequest("invalid_month", "month must be a calendar month as YYYY-MM, such as " + now);
    }
    if (month.isAfter(now)) {
      throw ApiError.badRequest("invalid_month", "month " + month + " has not begun; the latest is " + now);
    }
    return month;
  }
}
