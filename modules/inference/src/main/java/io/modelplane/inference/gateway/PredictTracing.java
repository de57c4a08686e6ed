package io.modelplane.inference.gateway;

import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanBuilder;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import io.opentelemetry.context.Scope;
import io.opentelemetry.context.propagation.TextMapGetter;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The spans of predict calls. A no-op unless the node installs an OpenTelemetry SDK. Contexts travel
 * as values (not thread-locals) because a call hops threads and nodes; W3C {@code traceparent} is the
 * one format accepted from clients and carried to remote workers. Every span names the node that made it
 * ({@link #NODE}); attributes never hold credentials or tensor data.
 */
public final class PredictTracing {
  public static final PredictTracing NOOP = new PredictTracing(OpenTelemetry.noop());

  private static final W3CTraceContextPropagator W3C = W3CTraceContextPropagator.getInstance();
  private static final TextMapGetter<Function<String, String>> GETTER = new TextMapGetter<>() {
    @Override
    public Iterable<String> keys(Function<String, String> carrier) {
      return List.of("traceparent", "tracestate");
    }

    @Override
    public String get(Function<String, String> carrier, String key) {
      return carrier == null ? null : carrier.apply(key);
    }
  };

  /** The attribute naming the node that made a span: its cluster address, as the cluster view lists it. */
  public static final AttributeKey<String> NODE = AttributeKey.stringKey("modelplane.node");

  private final Tracer tracer;
  private final Attributes attributes;

  public PredictTracing(OpenTelemetry openTelemetry) {
    this(openTelemetry, null);
  }

  /** {@code node} (null: none): the cluster address of the node, on every span it makes. */
  public PredictTracing(OpenTelemetry openTelemetry, String node) {
    this.tracer = openTelemetry.getTracer("io.modelplane");
    this.attributes = nodeAttributes(node);
  }

  /** The attributes that name {@code node} (null: none) on a span. */
  public static Attributes nodeAttributes(String node) {
    return node == null ? Attributes.empty() : Attributes.of(NODE, node);
  }

  /** The caller's context from its {@code traceparent}/{@code tracestate} (header lookup by lower-case name). */
  public Context extract(Function<String, String> headers) {
    return extractFrom(headers);
  }

  /** {@link #extract(Function)} without an instance: the format does not depend on the SDK. */
  public static Context extractFrom(Function<String, String> headers) {
    return W3C.extract(Context.root(), headers, GETTER);
  }

  /** The W3C headers for {@code context} (empty when it has no valid span), to send to another node. */
  public static Map<String, String> inject(Context context) {
    Map<String, String> headers = new HashMap<>();
    if (context != null) {
      W3C.inject(context, headers, (carrier, key, value) -> carrier.put(key, value));
    }
    return headers;
  }

  /** A span under {@code parent}; the caller ends it. */
  public Span start(String name, Context parent, SpanKind kind) {
    SpanBuilder b = tracer.spanBuilder(name).setSpanKind(kind).setAllAttributes(attributes);
    return b.setParent(parent == null ? Context.root() : parent).startSpan();
  }

  /** A span over {@code step} (internal), ended when its stage completes; failures mark it as an error. */
  public <T> CompletionStage<T> span(String name, Context parent, Function<Span, CompletionStage<T>> step) {
    Span span = start(name, parent, SpanKind.INTERNAL);
    CompletionStage<T> stage;
    try (Scope ignored = span.makeCurrent()) {
      stage = step.apply(span);
    } catch (RuntimeException e) {
      stage = CompletableFuture.failedFuture(e);
    }
    if (!span.isRecording()) {
      return stage; // not sampled: nothing to end or mark, so no extra stage on every call
    }
    return stage.whenComplete((value, failure) -> {
      if (failure != null) {
        error(span, failure);
      }
      span.end();
    });
  }

  /** A span over a synchronous {@code step}. */
  public <T> T spanNow(String name, Context parent, Supplier<T> step) {
    Span span = start(name, parent, SpanKind.INTERNAL);
    try (Scope ignored = span.makeCurrent()) {
      return step.get();
    } catch (RuntimeException e) {
      error(span, e);
      throw e;
    } finally {
      span.end();
    }
  }

  /** Marks {@code span} failed with the failure's type only: a message may quote the request. */
  public static void error(Span span, Throwable failure) {
    span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
  }
}
