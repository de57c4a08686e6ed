package io.modelplane.app;

import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.List;

/**
 * The SDK with its in-memory exporter, installed as the process's global OpenTelemetry (what nodes trace with)
 * until closed; other tests of this JVM may have read the no-op one before.
 */
final class InMemoryTracing implements AutoCloseable {
  final InMemorySpanExporter spans = InMemorySpanExporter.create();
  private final OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
      .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
      .build();

  InMemoryTracing() {
    GlobalOpenTelemetry.resetForTest();
    GlobalOpenTelemetry.set(sdk);
  }

  /** The ended spans of trace {@code traceId}. */
  List<SpanData> ofTrace(String traceId) {
    return spans.getFinishedSpanItems().stream().filter(s -> s.getTraceId().equals(traceId)).toList();
  }

  @Override
  public void close() {
    sdk.close();
    GlobalOpenTelemetry.resetForTest();
  }
}
