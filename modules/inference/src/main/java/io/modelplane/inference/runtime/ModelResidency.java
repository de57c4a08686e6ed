package io.modelplane.inference.runtime;

import ai.djl.Device;
import io.modelplane.common.VersionKey;
import io.opentelemetry.api.common.Attributes;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The model versions resident on one device, under a byte budget. Loading evicts least recently
 * used idle versions when it must, never one with requests in flight. Thread-safe: loads run on the
 * caller's (loading) thread and do not hold up {@link #get} or inference.
 */
public final class ModelResidency implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(ModelResidency.class);

  /** The shortest window {@link #utilization()} measures over. */
  public static final Duration UTILIZATION_WINDOW = Duration.ofSeconds(5);

  private final long budgetBytes;
  private final Device device;
  private final ModelLoader loader;
  private final Attributes spanAttributes;
  private final ConcurrentHashMap<VersionKey, ResidentModel> residents = new ConcurrentHashMap<>();
  // usage order for LRU: a counter, not the clock, so two uses never tie
  private final AtomicLong uses = new AtomicLong();
  private final AtomicLong failedLoads = new AtomicLong();
  // guarded by this: the budget's bookkeeping, including bytes reserved by loads under way
  private final Map<VersionKey, CompletableFuture<ResidentModel>> loading = new HashMap<>();
  private long usedBytes;
  private boolean closed;
  // guarded by this: forward-pass time of versions no longer resident, and the utilization window
  private long retiredBusyNanos;
  private long windowStartNanos = System.nanoTime();
  private long windowIndex = System.currentTimeMillis() / UTILIZATION_WINDOW.toMillis();
  private long windowStartBusy;
  private double utilization;

  public ModelResidency(long budgetBytes, Device device, ModelLoader loader) {
    this(budgetBytes, device, loader, Attributes.empty());
  }

  /** {@code spanAttributes}: on every span its batchers make (which node made it). */
  public ModelResidency(long budgetBytes, Device device, ModelLoader loader, Attributes spanAttributes) {
    if (budgetBytes < 0) {
      throw new IllegalArgumentException("budgetBytes must not be negative, was " + budgetBytes);
    }
    this.budgetBytes = budgetBytes;
    this.device = Objects.requireNonNull(device, "device");
    this.loader = Objects.requireNonNull(loader, "loader");
    this.spanAttributes = Objects.requireNonNull(spanAttributes, "spanAttributes");
  }

  /**
   * Makes {@code spec} resident and returns it; idempotent per key (a resident version takes the new
   * batch settings for its next batches). Evicts least recently used idle versions if it must.
   *
   * @throws InsufficientMemoryException it cannot fit even with every idle version evicted (then
   *     nothing is evicted)
   * @throws ModelLoadException the artifact could not be loaded; the budget is as before, except
   *     for versions evicted to make room (their memory had to be freed before loading)
   */
  public ResidentModel load(ModelSpec spec, BatchSettings settings) {
    Objects.requireNonNull(settings, "settings");
    VersionKey key = spec.key();
    if (spec.sizeBytes() > budgetBytes) {
      throw new InsufficientMemoryException(key + " needs " + spec.sizeBytes() + " bytes; the budget on " + device
          + " is " + budgetBytes + " bytes");
    }
    CompletableFuture<ResidentModel> ours;
    CompletableFuture<ResidentModel> theirs;
    Eviction eviction = null;
    synchronized (this) {
      if (closed) {
        throw new ModelNotResidentException("model residency on " + device + " is closed");
      }
      ResidentModel resident = residents.get(key);
      if (resident != null) {
        resident.update(settings);
        resident.touch();
        return resident;
      }
      theirs = loading.get(key);
      if (theirs == null) {
        eviction = evictFor(spec);
        if (eviction.fits) {
          usedBytes += spec.sizeBytes();
          ours = new CompletableFuture<>();
          loading.put(key, ours);
        } else {
          ours = null;
        }
      } else {
        ours = null;
      }
    }
    if (theirs != null) {
      ResidentModel resident = await(theirs);
      resident.update(settings);
      return resident;
    }
    // the victims refuse requests since the decision under the lock; their threads are joined and
    // their memory freed out here (a callback on a batch thread may call back into this residency),
    // still before loading
    for (ResidentModel victim : eviction.victims) {
      victim.batcher.close();
      victim.model.close();
      log.info("evicted {} ({} bytes) from {} to make room for {}", victim.spec.key(), victim.bytes, device, key);
    }
    if (ours == null) {
      throw eviction.refusal;
    }
    return loadReserved(spec, settings, ours);
  }

  private ResidentModel loadReserved(ModelSpec spec, BatchSettings settings, CompletableFuture<ResidentModel> ours) {
    VersionKey key = spec.key();
    ResidentModel resident;
    long started = System.nanoTime();
    try {
      LoadedModel model = loader.load(spec, device);
      try {
        if (model.residentBytes() > spec.sizeBytes()) {
          // admitted (by placement, the tenant's limit and this budget) for sizeBytes: never more
          throw new ModelLoadException(key + " holds " + model.residentBytes() + " bytes once loaded; "
              + spec.sizeBytes() + " bytes were admitted for it, so it is unloaded");
        }
        model.useEngineThreads(settings.engineThreads());
        resident = new ResidentModel(spec, model, new BatchAggregator(model, settings, spanAttributes),
            model.residentBytes(), uses, System.nanoTime() - started);
      } catch (RuntimeException | Error e) {
        model.close();
        throw e;
      }
    } catch (RuntimeException | Error e) {
      Throwable failure = e instanceof ModelLoadException || e instanceof Error ? e
          : new ModelLoadException("could not load " + key + ": " + e.getMessage(), e);
      synchronized (this) {
        usedBytes -= spec.sizeBytes();
        loading.remove(key);
      }
      ours.completeExceptionally(failure);
      if (failure instanceof Error error) {
        throw error;
      }
      throw (ModelLoadException) failure;
    }
    boolean accepted;
    synchronized (this) {
      loading.remove(key);
      accepted = !closed;
      // the reservation was what placement admitted; account for what the model says it holds (no more)
      usedBytes += accepted ? resident.bytes - spec.sizeBytes() : -spec.sizeBytes();
      if (accepted) {
        residents.put(key, resident);
      }
    }
    if (!accepted) {
      resident.batcher.close();
      resident.model.close();
      ModelNotResidentException failure =
          new ModelNotResidentException("model residency on " + device + " closed while " + key + " loaded");
      ours.completeExceptionally(failure);
      throw failure;
    }
    log.info("{} resident on {}: {} of {} bytes used", key, device, usedBytes(), budgetBytes);
    ours.complete(resident);
    return resident;
  }

  /** Decides which idle versions to evict so {@code spec} fits and stops their aggregators. Holds the lock. */
  private Eviction evictFor(ModelSpec spec) {
    long needed = spec.sizeBytes();
    long free = budgetBytes - usedBytes;
    if (free >= needed) {
      return new Eviction(true, List.of(), null);
    }
    List<ResidentModel> idle = new ArrayList<>();
    long reclaimable = 0;
    for (ResidentModel r : residents.values()) {
      if (r.batcher.inFlight() == 0) {
        idle.add(r);
        reclaimable += r.bytes;
      }
    }
    if (free + reclaimable < needed) {
      return new Eviction(false, List.of(), refusal(spec, free, reclaimable));
    }
    idle.sort(Comparator.comparingLong(r -> r.lastUse));
    List<ResidentModel> victims = new ArrayList<>();
    for (ResidentModel r : idle) {
      if (free >= needed) {
        break;
      }
      // a request may have arrived since the scan: closeIfIdle refuses then
      if (r.batcher.closeIfIdle()) {
        residents.remove(r.spec.key());
        usedBytes -= r.bytes;
        free += r.bytes;
        victims.add(r);
      }
    }
    return free >= needed ? new Eviction(true, victims, null) : new Eviction(false, victims, refusal(spec, free, 0));
  }

  private InsufficientMemoryException refusal(ModelSpec spec, long free, long reclaimable) {
    return new InsufficientMemoryException(spec.key() + " needs " + spec.sizeBytes() + " bytes; " + device + " has "
        + free + " of " + budgetBytes + " bytes free and " + reclaimable + " more in idle models");
  }

  private static ResidentModel await(CompletableFuture<ResidentModel> load) {
    try {
      return load.join();
    } catch (CompletionException e) {
      if (e.getCause() instanceof RuntimeException cause) {
        throw cause;
      }
      throw e;
    }
  }

  /** The resident version, marked as used just now. */
  public Optional<ResidentModel> get(VersionKey key) {
    ResidentModel resident = residents.get(key);
    if (resident != null) {
      resident.touch();
    }
    return Optional.ofNullable(resident);
  }

  /** Inference on a resident version; fails with {@link ModelNotResidentException} when it is not here. */
  public CompletableFuture<Inference> infer(VersionKey key, List<Tensor> inputs) {
    ResidentModel resident = residents.get(key);
    if (resident == null) {
      return CompletableFuture.failedFuture(new ModelNotResidentException(key + " is not loaded on " + device));
    }
    return resident.infer(inputs);
  }

  /**
   * Unloads a version: refuses new requests, fails waiting ones, waits for the running batch, then
   * frees the model. False when it was not resident.
   */
  public boolean unload(VersionKey key) {
    ResidentModel resident;
    synchronized (this) {
      resident = residents.remove(key);
    }
    if (resident == null) {
      return false;
    }
    release(resident);
    log.info("unloaded {} from {}", key, device);
    return true;
  }

  private void release(ResidentModel resident) {
    resident.batcher.close();
    resident.model.close();
    // counted free only once the memory is: a load meanwhile sees less room, never more
    synchronized (this) {
      usedBytes -= resident.bytes;
      retiredBusyNanos += resident.batcher.busyNanos();
    }
  }

  public synchronized long usedBytes() {
    return usedBytes;
  }

  public long budgetBytes() {
    return budgetBytes;
  }

  /** Nanoseconds this worker's device has spent in forward passes since it started (every version, unloaded ones too). */
  public synchronized long busyNanos() {
    long busy = retiredBusyNanos;
    for (ResidentModel r : residents.values()) {
      busy += r.batcher.busyNanos();
    }
    return busy;
  }

  /**
   * The share of time the device spent in forward passes between the last two reads in different windows of
   * {@link #UTILIZATION_WINDOW} (windows aligned to the wall clock, so that every worker's figure changes at the
   * same moments and a polled view stays equal in between); 0 before the first window ends, at most 1 when
   * versions run at once.
   */
  public double utilization() {
    return utilization(System.nanoTime(), System.currentTimeMillis());
  }

  synchronized double utilization(long nowNanos, long nowMillis) {
    long index = nowMillis / UTILIZATION_WINDOW.toMillis();
    long elapsed = nowNanos - windowStartNanos;
    if (index != windowIndex && elapsed > 0) {
      long busy = busyNanos();
      utilization = Math.min(1.0, Math.max(0.0, (double) (busy - windowStartBusy) / elapsed));
      windowIndex = index;
      windowStartNanos = nowNanos;
      windowStartBusy = busy;
    }
    return utilization;
  }

  public Device device() {
    return device;
  }

  /** Counts a load onto this worker that failed, whatever the cause (artifact, key, engine, memory): for the metrics. */
  public void loadFailed() {
    failedLoads.incrementAndGet();
  }

  /** Loads onto this worker that failed since it started. */
  public long failedLoads() {
    return failedLoads.get();
  }

  /** The resident versions, by key. */
  public List<ResidentModelStatus> status() {
    List<ResidentModelStatus> status = new ArrayList<>();
    for (ResidentModel r : residents.values()) {
      status.add(new ResidentModelStatus(r.spec.key(), r.bytes, r.batcher.queueDepth(), r.batcher.inFlight(),
          r.lastUsed(), r.batcher.completedBatches(), r.batcher.completedItems(), r.loadNanos / 1e9,
          r.batcher.lastBatchSize(), r.batcher.recentBatchSize(), r.batcher.settings().queueCapacity(),
          r.model.engineThreads()));
    }
    status.sort(Comparator.comparing((ResidentModelStatus s) -> s.key().model().entityId())
        .thenComparingInt(s -> s.key().version()));
    return status;
  }

  /** Unloads every version; later loads fail. Idempotent. */
  @Override
  public void close() {
    List<ResidentModel> all;
    synchronized (this) {
      closed = true;
      all = new ArrayList<>(residents.values());
      residents.clear();
    }
    for (ResidentModel r : all) {
      release(r);
    }
  }

  /** One resident version: its model, its batch queue, and when it was last used. */
  public static final class ResidentModel {
    private final ModelSpec spec;
    private final LoadedModel model;
    private final BatchAggregator batcher;
    private final long bytes;
    private final AtomicLong uses;
    private final long loadNanos;
    private volatile long lastUse;
    private volatile long lastUsedMillis;

    ResidentModel(ModelSpec spec, LoadedModel model, BatchAggregator batcher, long bytes, AtomicLong uses,
        long loadNanos) {
      this.loadNanos = loadNanos;
      this.spec = spec;
      this.model = model;
      this.batcher = batcher;
      this.bytes = bytes;
      this.uses = uses;
      used();
    }

    /** New settings for a resident version: the next batches and forward passes use them. */
    void update(BatchSettings settings) {
      batcher.updateSettings(settings);
      model.useEngineThreads(settings.engineThreads());
    }

    public ModelSpec spec() {
      return spec;
    }

    public LoadedModel model() {
      return model;
    }

    public BatchAggregator batcher() {
      return batcher;
    }

    /** Bytes counted against the device's budget. */
    public long bytes() {
      return bytes;
    }

    public Instant lastUsed() {
      return Instant.ofEpochMilli(lastUsedMillis);
    }

    /** Queues a request on this version's batcher and marks it used. */
    public CompletableFuture<Inference> infer(List<Tensor> inputs) {
      used();
      return batcher.submit(inputs);
    }

    /** {@link #infer(List)} for a request that is dropped unrun once {@code deadline} ({@link System#nanoTime()}) passes. */
    public CompletableFuture<Inference> infer(List<Tensor> inputs, long deadline) {
      return infer(inputs, deadline, null);
    }

    /** {@link #infer(List, long)} with the request's trace context (null: none). */
    public CompletableFuture<Inference> infer(List<Tensor> inputs, long deadline, io.opentelemetry.context.Context trace) {
      used();
      return batcher.submit(inputs, deadline, trace);
    }

    /** How long the running forward pass has taken so far, in nanoseconds; 0 when none runs. */
    public long runningForwardNanos() {
      return batcher.runningForwardNanos();
    }

    /** Last in line for eviction (a load asked again or a lookup counts, not only a request). */
    void touch() {
      lastUse = uses.incrementAndGet();
    }

    /** A request: last in line for eviction, and the time shown as its last use. */
    private void used() {
      touch();
      lastUsedMillis = System.currentTimeMillis();
    }
  }

  /** What a resident version looks like from outside, for status pages and placement. */
  /**
   * @param batches forward passes run so far; {@code items / batches} is the mean batch size
   * @param items requests answered by those passes
   * @param loadSeconds how long loading this version took
   * @param lastBatchSize requests in the last forward pass
   * @param recentBatchSize requests per forward pass lately (see {@link BatchAggregator#recentBatchSize()})
   * @param queueCapacity requests that may wait before new ones are refused
   * @param engineThreads the engine's intra-op threads per forward pass (0: one per core), as the deployment or
   *     the node set them or as chosen at load; null when the engine has no such setting
   */
  public record ResidentModelStatus(VersionKey key, long bytes, int queueDepth, int inFlight, Instant lastUsed,
      long batches, long items, double loadSeconds, int lastBatchSize, double recentBatchSize, int queueCapacity,
      Integer engineThreads) {}

  private record Eviction(boolean fits, List<ResidentModel> victims, InsufficientMemoryException refusal) {}
}
