package io.modelplane.api;

import static akka.http.javadsl.server.PathMatchers.segment;

import akka.http.javadsl.model.StatusCodes;
import akka.http.javadsl.server.Route;
import java.util.Map;
import java.util.concurrent.CompletionStage;
import java.util.function.Supplier;

/**
 * The HTTP surface of a node without the gateway role (worker-only, control-only): liveness and
 * readiness for the orchestrator and nothing else; requests go to gateway nodes.
 */
public final class WorkerNodeApi extends ApiDirectives {
  private final Supplier<CompletionStage<Boolean>> readiness;
  private final akka.http.javadsl.server.ExceptionHandler exceptions = ErrorHandling.exceptionHandler();
  private final akka.http.javadsl.server.RejectionHandler rejections = ErrorHandling.rejectionHandler();

  public WorkerNodeApi(Supplier<CompletionStage<Boolean>> readiness) {
    this.readiness = readiness;
  }

  public Route route() {
    return handleExceptions(exceptions, () -> handleRejections(rejections, () ->
        pathPrefix(segment("v2").slash("health"), () -> concat(
            path("live", () -> get(() -> complete(Json.response(StatusCodes.OK, Map.of("live", true))))),
            path("ready", () -> get(() -> onSuccess(readiness.get().exceptionally(failure -> false), ready -> ready
                ? complete(Json.response(StatusCodes.OK, Map.of("ready", true)))
                : complete(Json.response(StatusCodes.SERVICE_UNAVAILABLE, Map.of("ready", false,
                    "error", "this node cannot serve yet (starting, not joined, or shutting down)", "code", "not_ready"))
                    .addHeader(akka.http.javadsl.model.headers.RawHeader.create("Retry-After", "2"))))))))));
  }
}
