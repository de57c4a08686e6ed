package io.modelplane.api;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import io.modelplane.api.view.AuditEntryView;
import io.modelplane.api.view.AuditList;
import io.modelplane.control.readside.AuditLog;
import io.modelplane.control.readside.PageRequest;
import io.modelplane.identity.Action;
import io.modelplane.identity.Principal;

/** {@code GET /api/v1/admin/audit} (operator): the audit log of every tenant and model, filtered and paged. */
final class AuditRoutes extends ApiDirectives {
  private final AuditLog audit;

  AuditRoutes(AuditLog audit) {
    this.audit = audit;
  }

  Route routes(Principal principal) {
    return path(segment("admin").slash("audit"), () -> get(() ->
        authorized(principal, Action.MANAGE_TENANTS, null, () -> parameterMap(params -> {
          AuditLog.Filter filter = AuditLog.Filter.parse(params.get("tenant"), params.get("model"),
              params.get("actor"), params.get("type"), params.get("from"), params.get("to"));
          PageRequest page = PageRequest.parse(params.get("limit"), params.get("after"));
          return respond(audit.page(filter, page).thenApply(p -> Json.response(StatusCodes.OK,
              new AuditList(p.items().stream().map(AuditEntryView::of).toList(), p.next()))));
        }))));
  }

}
