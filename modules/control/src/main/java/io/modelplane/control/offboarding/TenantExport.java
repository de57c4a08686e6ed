package io.modelplane.control.offboarding;

import akka.Done;
import akka.NotUsed;
import akka.stream.OverflowStrategy;
import akka.stream.QueueOfferResult;
import akka.stream.javadsl.Source;
import akka.stream.javadsl.SourceQueueWithComplete;
import akka.stream.javadsl.StreamConverters;
import akka.util.ByteString;
import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.datatype.jsr310.JavaTimeModule;
import io.modelplane.common.HistoryEntry;
import io.modelplane.common.ModelId;
import io.modelplane.common.ModelKey;
import io.modelplane.common.Rejected;
import io.modelplane.common.Rejection;
import io.modelplane.common.TenantId;
import io.modelplane.control.ControlPlane;
import io.modelplane.control.readside.AuditLog;
import io.modelplane.control.readside.Page;
import io.modelplane.control.readside.PageRequest;
import io.modelplane.control.readside.ReadSide;
import io.modelplane.metering.Step;
import io.modelplane.metering.UsageRow;
import io.modelplane.metering.UsageStore;
import io.modelplane.registry.ModelEntity;
import io.modelplane.tenancy.TenantEntity;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A tenant's data as one zip, written while it is sent: its profile and API key metadata, every model with its
 * versions' manifests, deployment history and plaintext artifacts, its per-minute usage and its audit entries. Nothing
 * is held whole in memory and no plaintext is written to disk; an artifact that cannot be read fails the stream (the
 * client sees a cut response, never a complete-looking archive).
 */
public final class TenantExport {
  private static final Logger log = LoggerFactory.getLogger(TenantExport.class);

  /** The archive's format; {@code manifest.json} names it. */
  public static final String FORMAT = "modelplane-tenant-export/1";
  /** The file name of a version's artifact inside the archive (every version is a TorchScript archive). */
  public static final String ARTIFACT_FILE = "model.pt";

  private static final DateTimeFormatter FILE_TIME = DateTimeFormatter.ofPattern("yyyyMMdd'T'HHmmss'Z'")
      .withZone(ZoneOffset.UTC);
  private static final int CHUNK_BYTES = 64 * 1024;
  private static final Duration STEP_TIMEOUT = Duration.ofMinutes(2);

  /** Reads one artifact of a tenant as plaintext; the stream fails if it cannot be read or does not verify. */
  @FunctionalInterface
  public interface Artifacts {
    Source<ByteString, CompletionStage<Done>> plaintext(TenantId tenant, String sha256);
  }

  /** An export that may begin: its name in the audit log, its file name and the archive's bytes. */
  public record Archive(String exportId, String fileName, Source<ByteString, NotUsed> bytes) {}

  private final ControlPlane controlPlane;
  private final ReadSide readSide;
  private final UsageStore usage;
  private final Artifacts artifacts;
  private final Executor blocking;
  private final Clock clock;
  private final ObjectMapper json = JsonMapper.builder()
      .addModule(new JavaTimeModule())
      .disable(SerializationFeature.WRITE_DATES_AS_TIMESTAMPS)
      .disable(com.fasterxml.jackson.core.JsonGenerator.Feature.AUTO_CLOSE_TARGET)
      .build();

  public TenantExport(ControlPlane controlPlane, ReadSide readSide, UsageStore usage, Artifacts artifacts,
      Executor blocking, Clock clock) {
    this.controlPlane = controlPlane;
    this.readSide = readSide;
    this.usage = usage;
    this.artifacts = artifacts;
    this.blocking = blocking;
    this.clock = clock;
  }

  /**
   * Begins an export of the tenant by {@code actor}: recorded in the audit log first; refused with
   * {@code export_in_progress} while another runs, {@code tenant_deleting} while the tenant is being deleted,
   * {@code tenant_not_found} for a tenant that does not exist. The archive is written when its bytes are run.
   */
  public CompletionStage<Archive> begin(TenantId tenant, String actor) {
    String exportId = UUID.randomUUID().toString();
    return controlPlane.tenant(tenant, r -> new TenantEntity.StartExport(exportId, actor, r), TenantEntity.Summary.class)
        .thenApply(summary -> {
          if (summary.status() == TenantEntity.Status.DELETED) {
            throw new Rejected(Rejection.notFound("tenant_not_found", "tenant " + tenant + " does not exist"));
          }
          Instant at = clock.instant();
          Source<ByteString, NotUsed> bytes = Source.<ByteString>queue(4, OverflowStrategy.backpressure())
              .mapMaterializedValue(queue -> {
                blocking.execute(() -> write(tenant, exportId, at, actor, queue));
                return NotUsed.getInstance();
              });
          return new Archive(exportId, tenant.value() + "-export-" + FILE_TIME.format(at) + ".zip", bytes);
        });
  }

  /** Writes the archive into {@code queue} on a blocking thread; a failure fails the stream. */
  private void write(TenantId tenant, String exportId, Instant at, String actor, SourceQueueWithComplete<ByteString> queue) {
    Written written = new Written();
    boolean complete = false;
    // not closed on failure: closing would end the archive properly and make a cut one look complete
    ZipOutputStream zip = new ZipOutputStream(new QueueOutput(queue));
    try {
      writeEntries(zip, tenant, exportId, at, written);
      zip.close();
      complete = true;
    } catch (Exception e) {
      log.warn("export {} of tenant {} failed after {} entries ({} artifacts): {}", exportId, tenant,
          written.entries.size(), written.artifacts, describe(e));
      queue.fail(e);
    }
    if (complete) {
      queue.complete();
      log.info("export {} of tenant {} by {}: {} entries, {} artifacts", exportId, tenant, actor,
          written.entries.size(), written.artifacts);
    }
    boolean finished = complete;
    controlPlane.tenant(tenant, r -> new TenantEntity.FinishExport(exportId, finished, written.artifacts, actor, r),
            TenantEntity.Summary.class)
        .whenComplete((s, failure) -> {
          if (failure != null) {
            log.warn("could not record the end of export {} of tenant {}: {}", exportId, tenant, describe(failure));
          }
        });
  }

  private static final class Written {
    final List<String> entries = new ArrayList<>();
    long artifacts;
  }

  private void writeEntries(ZipOutputStream zip, TenantId tenant, String exportId, Instant at, Written written)
      throws Exception {
    TenantEntity.Summary summary = await(controlPlane.tenantSummary(tenant));
    entry(zip, "tenant.json", written, out -> json.writerWithDefaultPrettyPrinter().writeValue(out, tenantDocument(summary)));
    for (String name : summary.models()) {
      ModelKey key = new ModelKey(tenant, ModelId.of(name));
      ModelEntity.Summary model = modelOrNull(key);
      if (model == null) {
        continue; // a reserved name whose upload never completed: nothing to export
      }
      String dir = "models/" + name + "/";
      entry(zip, dir + "model.json", written, out -> json.writerWithDefaultPrettyPrinter().writeValue(out, model));
      List<HistoryEntry> history = await(readSide.audit().modelHistory(key));
      entry(zip, dir + "deployments.json", written, out -> json.writerWithDefaultPrettyPrinter().writeValue(out,
          deploymentDocument(model, history)));
      for (ModelEntity.VersionInfo version : model.versions()) {
        entry(zip, dir + "versions/" + version.version() + "/" + ARTIFACT_FILE, written, out -> {
          try (InputStream in = artifacts.plaintext(tenant, version.sha256())
              .runWith(StreamConverters.asInputStream(STEP_TIMEOUT), controlPlane.system())) {
            in.transferTo(out);
          }
        });
        written.artifacts++;
      }
    }
    entry(zip, "usage.csv", written, out -> writeUsage(out, tenant, summary.createdAt(), at));
    entry(zip, "audit.json", written, out -> writeAudit(out, tenant));
    Map<String, Object> manifest = new LinkedHashMap<>();
    manifest.put("tenant", tenant.value());
    manifest.put("exportedAt", at);
    manifest.put("exportId", exportId);
    manifest.put("format", FORMAT);
    List<String> entries = new ArrayList<>(written.entries);
    entries.add("manifest.json");
    manifest.put("entries", entries);
    entry(zip, "manifest.json", written, out -> json.writerWithDefaultPrettyPrinter().writeValue(out, manifest));
  }

  private ModelEntity.Summary modelOrNull(ModelKey key) throws Exception {
    try {
      return await(controlPlane.readModel(key, ModelEntity.Get::new, ModelEntity.Summary.class));
    } catch (Rejected e) {
      if (e.rejection().reason() == Rejection.Reason.NOT_FOUND) {
        return null;
      }
      throw e;
    }
  }

  /** The tenant's profile, plan, quota and API key metadata (never a secret or its hash). */
  private static Map<String, Object> tenantDocument(TenantEntity.Summary s) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("id", s.id());
    d.put("displayName", s.displayName());
    d.put("status", s.status());
    d.put("createdAt", s.createdAt());
    d.put("updatedAt", s.updatedAt());
    d.put("plan", s.plan());
    d.put("quota", s.quota());
    d.put("quotaOverrides", s.quotaOverrides().asMap());
    d.put("workerPool", s.workerPool());
    d.put("models", s.models());
    d.put("apiKeys", s.apiKeys().stream().map(k -> {
      Map<String, Object> key = new LinkedHashMap<>();
      key.put("id", k.id());
      key.put("name", k.name());
      key.put("role", k.role().wireName());
      key.put("createdAt", k.createdAt());
      key.put("createdBy", k.createdBy());
      key.put("lastUsedAt", k.lastUsedAt());
      return key;
    }).toList());
    return d;
  }

  /** The current deployment and every deployment and rollback, oldest first. */
  private static Map<String, Object> deploymentDocument(ModelEntity.Summary model, List<HistoryEntry> history) {
    Map<String, Object> d = new LinkedHashMap<>();
    d.put("current", model.deployment());
    d.put("rollbackRevision", model.rollbackRevision());
    d.put("history", history.stream()
        .filter(e -> e.type().startsWith("deployment_"))
        .map(e -> {
          Map<String, Object> h = new LinkedHashMap<>();
          h.put("type", e.type());
          h.put("at", e.at());
          h.put("actor", e.actor());
          h.putAll(e.details());
          return h;
        }).collect(Collectors.toList()));
    return d;
  }

  /** Per-minute usage rows from the tenant's creation until the export began, read a day at a time. */
  private void writeUsage(OutputStream out, TenantId tenant, Instant from, Instant to) throws Exception {
    Writer w = new java.io.OutputStreamWriter(out, StandardCharsets.UTF_8);
    w.write("minute,model,version,requests,items,errors,computeMillis,statuses\n");
    Instant day = from.truncatedTo(java.time.temporal.ChronoUnit.DAYS);
    while (day.isBefore(to)) {
      Instant start = day;
      Instant end = day.plus(Duration.ofDays(1)).isAfter(to) ? to : day.plus(Duration.ofDays(1));
      for (UsageRow row : usage.query(tenant.value(), start, end, Step.MINUTE)) {
        w.write(row.start() + "," + row.model() + "," + row.version() + "," + row.requests() + "," + row.items() + ","
            + row.errors() + "," + row.computeMillis() + "," + row.statuses().entrySet().stream()
            .map(s -> s.getKey() + ":" + s.getValue()).collect(Collectors.joining(";")) + "\n");
      }
      day = end;
    }
    w.flush();
  }

  /** The tenant's audit entries as one JSON array, read a page at a time. */
  private void writeAudit(OutputStream out, TenantId tenant) throws Exception {
    AuditLog.Filter filter = new AuditLog.Filter(tenant.value(), null, null, null, null, null);
    try (JsonGenerator g = json.getFactory().createGenerator(out)) {
      g.useDefaultPrettyPrinter();
      g.writeStartArray();
      String after = null;
      do {
        Page<AuditLog.AuditEntry> page = await(readSide.audit().page(filter, new PageRequest(PageRequest.MAX_LIMIT, after)));
        for (AuditLog.AuditEntry entry : page.items()) {
          json.writeValue(g, entry);
        }
        after = page.next();
      } while (after != null);
      g.writeEndArray();
    }
  }

  private interface EntryBody {
    void write(OutputStream out) throws Exception;
  }

  private static void entry(ZipOutputStream zip, String name, Written written, EntryBody body) throws Exception {
    zip.putNextEntry(new ZipEntry(name));
    // the entry's writer must not close the zip
    body.write(new java.io.FilterOutputStream(zip) {
      @Override
      public void write(byte[] b, int off, int len) throws IOException {
        out.write(b, off, len);
      }

      @Override
      public void close() throws IOException {
        flush();
      }
    });
    zip.closeEntry();
    written.entries.add(name);
  }

  private static <T> T await(CompletionStage<T> stage) throws Exception {
    try {
      return stage.toCompletableFuture().get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
    } catch (ExecutionException e) {
      Throwable cause = Rejected.unwrap(e.getCause());
      throw cause instanceof Exception ex ? ex : new IllegalStateException(cause);
    }
  }

  private static String describe(Throwable failure) {
    Throwable t = failure;
    while ((t instanceof java.util.concurrent.CompletionException || t instanceof ExecutionException
        || t instanceof IOException && t.getCause() != null) && t.getCause() != null && t.getCause() != t) {
      t = t.getCause();
    }
    return t.getClass().getSimpleName() + (t.getMessage() == null ? "" : ": " + t.getMessage());
  }

  /** Bytes into the stream's queue in chunks, each waiting for room downstream (the client's pace). */
  private static final class QueueOutput extends OutputStream {
    private final SourceQueueWithComplete<ByteString> queue;
    private final byte[] buffer = new byte[CHUNK_BYTES];
    private int count;

    QueueOutput(SourceQueueWithComplete<ByteString> queue) {
      this.queue = queue;
    }

    @Override
    public void write(int b) throws IOException {
      if (count == buffer.length) {
        flush();
      }
      buffer[count++] = (byte) b;
    }

    @Override
    public void write(byte[] b, int off, int len) throws IOException {
      while (len > 0) {
        if (count == buffer.length) {
          flush();
        }
        int n = Math.min(len, buffer.length - count);
        System.arraycopy(b, off, buffer, count, n);
        count += n;
        off += n;
        len -= n;
      }
    }

    @Override
    public void flush() throws IOException {
      if (count == 0) {
        return;
      }
      ByteString chunk = ByteString.fromArray(buffer, 0, count);
      count = 0;
      QueueOfferResult result;
      try {
        result = queue.offer(chunk).toCompletableFuture().get(STEP_TIMEOUT.toMillis(), TimeUnit.MILLISECONDS);
      } catch (InterruptedException e) {
        Thread.currentThread().interrupt();
        throw new IOException("export interrupted", e);
      } catch (ExecutionException | TimeoutException e) {
        throw new IOException("the client stopped reading the export", e);
      }
      if (result != QueueOfferResult.enqueued()) {
        throw new IOException("the client stopped reading the export");
      }
    }

    @Override
    public void close() throws IOException {
      flush();
    }
  }
}
