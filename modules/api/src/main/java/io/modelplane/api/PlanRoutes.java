package io.modelplane.api;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.HttpResponse;
import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.api.view.PlanView;
import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.control.Plans;
import io.modelplane.control.readside.PageRequest;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;
import java.util.Iterator;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/** {@code /api/v1/admin/plans} (operator): plans, the quota templates with prices that tenants are on. */
final class PlanRoutes extends ApiDirectives {
  private static final Set<String> CREATABLE = Set.of("id", "displayName", "quota", "prices", "currency");
  private static final Set<String> PATCHABLE = Set.of("displayName", "quota", "prices", "currency");
  private static final Set<String> PRICES = Set.of("perMillionRequests", "perComputeHour", "perGiBHourResident",
      "monthlyBase");

  private final Plans plans;
  private final ApiSettings settings;

  PlanRoutes(Plans plans, ApiSettings settings) {
    this.plans = plans;
    this.settings = settings;
  }

  Route routes(Principal principal) {
    return pathPrefix(segment("admin").slash("plans"), () ->
        authorized(principal, Action.MANAGE_TENANTS, null, () -> concat(
            pathEnd(() -> concat(
                post(() -> jsonBody(settings.maxJsonBytes(), body -> respond(create(principal, body)))),
                get(() -> parameterOptional("limit", limit -> parameterOptional("after", after ->
                    respond(plans.page(PageRequest.parse(limit.orElse(null), after.orElse(null)))
                        .thenApply(p -> Json.response(StatusCodes.OK, new PlanView.PlanList(
                            p.items().stream().map(PlanView::from).toList(), p.next()))))))))),
            path(segment(), id -> concat(
                get(() -> respond(plans.get(id).thenApply(row -> Json.response(StatusCodes.OK, PlanView.from(row))))),
                patch(() -> jsonBody(settings.maxJsonBytes(), body -> respond(update(principal, id, body)))),
                delete(() -> respond(plans.delete(id, principal.subject())
                    .thenApply(done -> HttpResponse.create().withStatus(StatusCodes.NO_CONTENT)))))))));
  }

  /** POST: a quota named in part overlays the default quota; prices left out are 0; currency left out is USD. */
  private CompletionStage<HttpResponse> create(Principal principal, JsonNode body) {
    onlyFields(body, CREATABLE);
    JsonNode id = body.get("id");
    if (id == null || !id.isTextual() || !Plan.isValidId(id.textValue())) {
      throw invalid("plan id must be 2-40 characters of lowercase letters, digits and '-', starting with a letter or digit");
    }
    Plan fresh = new Plan(id.textValue(), text(body, "displayName", null), Quota.defaults(), Plan.Prices.FREE, "USD");
    Plan plan = overlay(fresh, body);
    return plans.create(plan, principal.subject())
        .thenApply(row -> Json.response(StatusCodes.CREATED, PlanView.from(row))
            .addHeader(akka.http.javadsl.model.headers.Location.create("/api/v1/admin/plans/" + plan.id())));
  }

  /** PATCH: fields present replace; inside {@code quota} and {@code prices}, only the values named change. */
  private CompletionStage<HttpResponse> update(Principal principal, String id, JsonNode body) {
    onlyFields(body, PATCHABLE);
    // checked before the plan is read, so a malformed body is a 400 even for a plan that does not exist
    overlay(new Plan(Plan.DEFAULT_ID, "check", Quota.defaults(), Plan.Prices.FREE, "USD"), body);
    return plans.update(id, current -> overlay(current, body), principal.subject())
        .thenApply(row -> Json.response(StatusCodes.OK, PlanView.from(row)));
  }

  /** {@code base} with the body's fields over it; the result is checked whole by the plan entity. */
  private static Plan overlay(Plan base, JsonNode body) {
    String displayName = text(body, "displayName", base.displayName());
    String currency = text(body, "currency", base.currency());
    if (body.has("quota") && body.get("quota").isNull()) {
      throw invalid("quota must be an object");
    }
    Quota quota;
    try {
      quota = QuotaRequest.over(base.quota(), body.get("quota"));
    } catch (ApiError e) {
      throw invalid(e.getMessage());
    }
    Plan plan = new Plan(base.id(), displayName, quota, prices(base.prices(), body.get("prices")), currency);
    String violation = plan.violation();
    if (violation != null) {
      throw invalid(violation);
    }
    return plan;
  }

  private static Plan.Prices prices(Plan.Prices base, JsonNode named) {
    if (named == null) {
      return base;
    }
    if (!named.isObject()) {
      throw invalid("prices must be an object");
    }
    onlyFields(named, PRICES, "prices.");
    return new Plan.Prices(price(named, "perMillionRequests", base.perMillionRequests()),
        price(named, "perComputeHour", base.perComputeHour()),
        price(named, "perGiBHourResident", base.perGiBHourResident()),
        price(named, "monthlyBase", base.monthlyBase()));
  }

  private static long price(JsonNode prices, String name, long base) {
    JsonNode value = prices.get(name);
    if (value == null) {
      return base;
    }
    if (!value.isIntegralNumber() || !value.canConvertToLong()) {
      throw invalid("prices." + name + " must be a whole number of minor units (cents for USD)");
    }
    return value.longValue();
  }

  private static String text(JsonNode body, String field, String base) {
    JsonNode value = body.get(field);
    if (value == null) {
      return base;
    }
    if (!value.isTextual()) {
      throw invalid(field + " must be a string");
    }
    return value.textValue();
  }

  private static void onlyFields(JsonNode body, Set<String> allowed) {
    onlyFields(body, allowed, "");
  }

  private static void onlyFields(JsonNode body, Set<String> allowed, String prefix) {
    for (Iterator<String> names = body.fieldNames(); names.hasNext(); ) {
      String name = names.next();
      if (!allowed.contains(name)) {
        throw invalid("unknown field '" + prefix + name + "'; allowed: " + String.join(", ", new java.util.TreeSet<>(allowed)));
      }
    }
  }

  private static ApiError invalid(String message) {
    return ApiError.badRequest("invalid_plan", message);
  }
}
