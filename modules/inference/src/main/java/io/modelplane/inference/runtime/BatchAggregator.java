package io.modelplane.inference.runtime;

import io.modelplane.common.NamedThreads;
import io.modelplane.common.VersionKey;
import io.opentelemetry.api.GlobalOpenTelemetry;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.context.Context;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.LinkedBlockingQueue;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The request queue of one resident model version, served by one batch thread at a time while it
 * holds requests: takes the first waiting request, gathers more until the batch holds
 * {@code maxBatchSize} rows or {@code maxBatchDelayMs} have passed, concatenates their inputs along
 * dimension 0, runs one forward pass and splits the outputs back by rows. Futures complete on that
 * thread: callers hop off it (pipeToSelf) before doing real work.
 *
 * <p>The batch threads are shared by every aggregator of the process and only the busy ones hold one:
 * an idle version costs no thread, and a worker with many rarely called versions runs them all on the
 * few threads that ran last (their stacks and allocator caches still warm) instead of waking a thread
 * of each that last ran long ago. A version being served keeps its thread until its queue is empty, so
 * a slow model never delays another's batches: the pool has no upper bound below the number of busy
 * versions.
 *
 * <p>A model whose engine splits its threads ({@link LoadedModel#parallelForwards()} above 1) is served by
 * up to that many threads at once while requests arrive during its passes, each pass on its share of the
 * engine threads; alone, a pass gets them all.
 */
public final class BatchAggregator implements AutoCloseable {

  private static final Logger log = LoggerFactory.getLogger(BatchAggregator.class);
  private static final int CLOSED = Integer.MIN_VALUE;
  /** "No deadline": far enough ahead for nanoTime arithmetic, near enough not to overflow it. */
  public static final long NO_DEADLINE = TimeUnit.DAYS.toNanos(365);
  // a batch being gathered looks for close() this often: close() waits at most that long for it
  private static final long CLOSE_CHECK_NANOS = TimeUnit.MILLISECONDS.toNanos(20);
  // idle threads wait on a SynchronousQueue, which hands work to the one that parked last (a stack):
  // at low load the same warm threads serve every version
  private static final ExecutorService BATCH_THREADS = new ThreadPoolExecutor(0, Integer.MAX_VALUE, 60,
      TimeUnit.SECONDS, new SynchronousQueue<>(), NamedThreads.daemon("modelplane-batch"));

  private final LoadedModel model;
  private final Attributes spanAttributes;
  private final VersionKey key;
  private volatile BatchSettings settings;
  private final LinkedBlockingQueue<Job> queue = new LinkedBlockingQueue<>();
  // requests admitted and not yet running (bounded by queueCapacity)
  private final AtomicInteger queued = new AtomicInteger();
  // CLOSED bit | requests admitted and not yet answered: one CAS decides "still open" and
  // "idle" together, so an idle model can be closed without racing a new request
  private final AtomicInteger state = new AtomicInteger();
  private final AtomicLong completedBatches = new AtomicLong();
  private final AtomicLong completedItems = new AtomicLong();
  private final AtomicLong expired = new AtomicLong();
  // nanoseconds of forward passes that ended
  private final AtomicLong forwardNanos = new AtomicLong();
  // written by the batch threads; read by status pages
  private volatile int lastBatchSize;
  private volatile double recentBatchSize;
  // System.nanoTime() when each running forward pass began
  private final ConcurrentLinkedQueue<Long> forwardsStarted = new ConcurrentLinkedQueue<>();
  // forward passes running now
  private final AtomicInteger running = new AtomicInteger();
  // batch threads serving the queue: one from the request that finds it unserved, more under load
  private final AtomicInteger servers = new AtomicInteger();
  // batch threads hold it shared while they serve: close() takes it exclusively to wait for running passes
  private final ReentrantReadWriteLock serving = new ReentrantReadWriteLock();

  public BatchAggregator(LoadedModel model, BatchSettings settings) {
    this(model, settings, Attributes.empty());
  }

  /** {@code spanAttributes}: on each queue wait and batch forward span (which node made it). */
  public BatchAggregator(LoadedModel model, BatchSettings settings, Attributes spanAttributes) {
    this.spanAttributes = Objects.requireNonNull(spanAttributes, "spanAttributes");
    this.model = Objects.requireNonNull(model, "model");
    this.key = model.spec().key();
    this.settings = Objects.requireNonNull(settings, "settings");
  }

  /** {@link #submit(List, long)} without a deadline. */
  public CompletableFuture<Inference> submit(List<Tensor> inputs) {
    return submit(inputs, System.nanoTime() + NO_DEADLINE);
  }

  /**
   * Queues one request; never blocks. The future fails with {@link CapacityExceededException} at once
   * when the queue is full, with {@link ModelNotResidentException} once this aggregator is closed, and
   * with {@link DeadlineExceededException} when {@code deadline} ({@link System#nanoTime()}) passes
   * before its forward pass begins: such a request is dropped unrun. A caller that completes or
   * cancels the future itself (its client left) has the request dropped the same way.
   */
  public CompletableFuture<Inference> submit(List<Tensor> inputs, long deadline) {
    return submit(inputs, deadline, null);
  }

  /** {@link #submit(List, long)} with the request's trace context ({@code null}: none), for its queue and forward spans. */
  public CompletableFuture<Inference> submit(List<Tensor> inputs, long deadline, Context trace) {
    CompletableFuture<Inference> future = new CompletableFuture<>();
    int rows;
    try {
      rows = rowsOf(inputs);
    } catch (InvalidInputException e) {
      future.completeExceptionally(e);
      return future;
    }
    if (!admit()) {
      future.completeExceptionally(unloaded());
      return future;
    }
    int capacity = settings.queueCapacity();
    if (!reserveSlot(capacity)) {
      state.decrementAndGet();
      future.completeExceptionally(new CapacityExceededException("the queue of model " + key + " is full ("
          + capacity + " requests)"));
      return future;
    }
    Job job = new Job(inputs, rows, deadline, future, traced(trace));
    queue.offer(job);
    // lost a race with close(): its final sweep may have run before this offer
    if (isClosed() && queue.remove(job)) {
      failQueued(job, unloaded());
      return future;
    }
    serveQueue();
    return future;
  }

  /**
   * Hands the queue to a batch thread unless one serves it already; for a model that runs passes side by side,
   * to another one while those that serve it are busy.
   */
  private void serveQueue() {
    if (servers.compareAndSet(0, 1)) {
      startServer();
    } else {
      addServer();
    }
  }

  /** Another batch thread beside the running ones, if the model runs passes side by side and has room for one. */
  private void addServer() {
    int limit = model.parallelForwards();
    for (int n = servers.get(); n < limit; n = servers.get()) {
      if (servers.compareAndSet(n, n + 1)) {
        startServer();
        return;
      }
    }
  }

  /** Starts a batch thread counted in {@code servers} already. */
  private void startServer() {
    try {
      BATCH_THREADS.execute(this::serve);
    } catch (Throwable t) {
      // no thread could be started (the process is out of them): nobody may wait for one
      if (servers.decrementAndGet() > 0) {
        log.warn("no further batch thread could be started for {}: {}", key, t.toString());
        return;
      }
      log.error("no batch thread could be started for {}: its waiting requests are refused", key, t);
      Job job;
      while ((job = queue.poll()) != null) {
        failQueued(job, new CapacityExceededException("model " + key + " has no thread to serve it now"));
      }
    }
  }

  /** Requests waiting for their batch. */
  public int queueDepth() {
    return queued.get();
  }

  /** Requests accepted and not yet answered: waiting plus running. */
  public int inFlight() {
    return state.get() & ~CLOSED;
  }

  /** Forward passes run (successful or not). */
  public long completedBatches() {
    return completedBatches.get();
  }

  /** Requests dropped unrun because their deadline had passed. */
  public long expiredRequests() {
    return expired.get();
  }

  /** How long the longest running forward pass has taken so far, in nanoseconds; 0 when none runs. */
  public long runningForwardNanos() {
    long now = System.nanoTime();
    long longest = 0;
    for (long started : forwardsStarted) {
      longest = Math.max(longest, Math.max(1, now - started));
    }
    return longest;
  }

  /** Nanoseconds spent in forward passes so far, the running ones included: a device's busy time. */
  public long busyNanos() {
    long ended = forwardNanos.get();
    long now = System.nanoTime();
    // a pass that ends between the two reads is counted in neither; the next read counts it
    for (long started : forwardsStarted) {
      ended += Math.max(0, now - started);
    }
    return ended;
  }

  /** Requests in the last forward pass; 0 before the first. */
  public int lastBatchSize() {
    return lastBatchSize;
  }

  /** Requests per forward pass, averaged over about the last twenty passes (exponentially weighted); 0 before the first. */
  public double recentBatchSize() {
    return recentBatchSize;
  }

  /** Requests that were part of a forward pass run (successful or not). */
  public long completedItems() {
    return completedItems.get();
  }

  public BatchSettings settings() {
    return settings;
  }

  /** New settings for the batches gathered from now on; the queue keeps its requests. */
  public void updateSettings(BatchSettings next) {
    settings = Objects.requireNonNull(next, "settings");
  }

  /**
   * Stops taking requests, fails the waiting ones with {@link ModelNotResidentException} ("model
   * unloaded") and lets a running forward pass finish: once this returns, the model is not called
   * again. Idempotent.
   */
  @Override
  public void close() {
    state.getAndUpdate(s -> s | CLOSED);
    // waiting requests hear at once, not after the running batch
    failWaiting();
    // batch threads check for closing under this lock before each forward pass; one of them closing its own
    // model (from a callback) has no pass running on its thread, and others' passes the model's own lock guards
    if (serving.getReadHoldCount() == 0) {
      serving.writeLock().lock();
      serving.writeLock().unlock();
    }
    failWaiting();
  }

  /**
   * Closes this aggregator only if no request is in flight, atomically with respect to {@link #submit};
   * does not wait for a batch thread ({@link #close()} does), so it is safe under a caller's lock.
   */
  boolean closeIfIdle() {
    return state.compareAndSet(0, CLOSED);
  }

  boolean isClosed() {
    return (state.get() & CLOSED) != 0;
  }

  private boolean admit() {
    while (true) {
      int s = state.get();
      if ((s & CLOSED) != 0) {
        return false;
      }
      if (state.compareAndSet(s, s + 1)) {
        return true;
      }
    }
  }

  private boolean reserveSlot(int capacity) {
    while (true) {
      int q = queued.get();
      if (q >= capacity) {
        return false;
      }
      if (queued.compareAndSet(q, q + 1)) {
        return true;
      }
    }
  }

  /** Serves the queue on a batch thread until it is empty; a request that arrives meanwhile is taken too. */
  private void serve() {
    serving.readLock().lock();
    // a request taken from the queue that did not fit the batch being gathered; opens the next one
    Job[] carry = new Job[1];
    try {
      while (true) {
        Job first = carry[0];
        carry[0] = null;
        if (first == null) {
          first = queue.poll();
        }
        if (first == null) {
          // a request offered after the poll saw this thread still counted and left its queue to it
          if (servers.decrementAndGet() > 0 || queue.isEmpty() || !servers.compareAndSet(0, 1)) {
            return;
          }
          continue;
        }
        if (isClosed()) {
          failQueued(first, unloaded());
          continue;
        }
        List<Job> batch = gather(first, carry);
        // gathering may have waited maxBatchDelayMs: whoever expired meanwhile is not run
        batch.removeIf(this::skipIfAbandoned);
        if (Thread.interrupted()) {
          // only the process's shutdown interrupts a batch thread
          log.warn("batch thread of {} interrupted; its model serves no more requests", key);
          state.getAndUpdate(s -> s | CLOSED);
        }
        if (isClosed()) {
          batch.forEach(job -> failQueued(job, unloaded()));
          continue;
        }
        if (carry[0] != null || !queue.isEmpty()) {
          // more than one batch waits: a model that runs passes side by side starts the next one now
          addServer();
        }
        if (!batch.isEmpty()) {
          run(batch);
        }
      }
    } catch (Throwable t) {
      log.error("batch thread of {} failed; its model serves no more requests", key, t);
      // nobody may wait for a queue that is no longer served: refuse new requests, answer the queued ones
      state.getAndUpdate(s -> s | CLOSED);
      servers.decrementAndGet();
      if (carry[0] != null) {
        failQueued(carry[0], unloaded());
      }
      failWaiting();
    } finally {
      serving.readLock().unlock();
    }
  }

  /** The batch {@code first} opens: compatible requests up to maxBatchSize rows or the delay. */
  private List<Job> gather(Job first, Job[] carry) {
    BatchSettings s = settings;
    List<Job> batch = new ArrayList<>();
    int rows = 0;
    if (!skipIfAbandoned(first)) {
      batch.add(first);
      rows = first.rows;
    }
    long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(s.maxBatchDelayMs());
    while (rows < s.maxBatchSize()) {
      Job next = queue.poll();
      if (next == null) {
        long wait = deadline - System.nanoTime();
        if (wait <= 0 || isClosed()) {
          break;
        }
        if ((next = pollInterruptibly(Math.min(wait, CLOSE_CHECK_NANOS))) == null) {
          if (Thread.currentThread().isInterrupted()) {
            break;
          }
          continue;
        }
      }
      if (skipIfAbandoned(next)) {
        continue;
      }
      if (batch.isEmpty()) {
        batch.add(next);
        rows = next.rows;
      } else if (rows + next.rows <= s.maxBatchSize() && compatible(batch.get(0), next)) {
        batch.add(next);
        rows += next.rows;
      } else {
        carry[0] = next;
        break;
      }
    }
    return batch;
  }

  /** The next request within {@code nanos}; on interruption none, and the flag stays set for the serve loop. */
  private Job pollInterruptibly(long nanos) {
    try {
      return queue.poll(nanos, TimeUnit.NANOSECONDS);
    } catch (InterruptedException e) {
      Thread.currentThread().interrupt();
      return null;
    }
  }

  /**
   * A request whose caller gave up (cancelled or timed out its future) or whose deadline passed is
   * dropped unrun: a forward pass nobody waits for only delays the requests behind it.
   */
  private boolean skipIfAbandoned(Job job) {
    boolean late = !job.future.isDone() && System.nanoTime() - job.deadline >= 0;
    if (!late && !job.future.isDone()) {
      return false;
    }
    queued.decrementAndGet();
    state.decrementAndGet();
    if (late) {
      expired.incrementAndGet();
      job.future.completeExceptionally(new DeadlineExceededException("the request's deadline passed while it waited"
          + " for model " + key + "; it was not run"));
    }
    return true;
  }

  private void run(List<Job> batch) {
    queued.addAndGet(-batch.size());
    List<List<Tensor>> results = null;
    Throwable failure = null;
    long started = System.nanoTime();
    Long startedAt = started;
    forwardsStarted.add(startedAt);
    int beside = running.incrementAndGet();
    List<Span> forwardSpans = traceQueueWait(batch, started);
    try {
      if (batch.size() == 1) {
        // alone (also: larger than maxBatchSize, or a model without a batch dimension): as is
        results = List.of(model.forward(batch.get(0).inputs, beside));
      } else {
        results = split(model.forward(concat(batch), beside), batch);
      }
    } catch (Throwable t) {
      failure = t;
    } finally {
      running.decrementAndGet();
      forwardsStarted.remove(startedAt);
      forwardNanos.addAndGet(System.nanoTime() - started);
      for (Span span : forwardSpans) {
        if (failure != null) {
          span.setStatus(StatusCode.ERROR, failure.getClass().getSimpleName());
        }
        span.end();
      }
    }
    // count before answering, so a caller that saw its answer sees the count
    completedBatches.incrementAndGet();
    completedItems.addAndGet(batch.size());
    lastBatchSize = batch.size();
    // about the last twenty batches: a mean since load would hide a change of traffic
    recentBatchSize = recentBatchSize == 0 ? batch.size() : recentBatchSize * 0.95 + batch.size() * 0.05;
    if (failure == null) {
      long computeNanos = System.nanoTime() - started;
      long rows = batch.stream().mapToLong(j -> Math.max(1, j.rows)).sum();
      for (int i = 0; i < batch.size(); i++) {
        Job job = batch.get(i);
        answer(job, new Inference(results.get(i), computeNanos * Math.max(1, job.rows) / rows), null);
      }
      return;
    }
    InferenceException cause = failure instanceof InferenceException e ? e
        : new InferenceException("inference on " + key + " failed: " + DjlLoadedModel.engineMessage(failure), failure);
    log.warn("a batch of {} requests on {} failed: {}", batch.size(), key, cause.getMessage());
    for (Job job : batch) {
      answer(job, null, cause);
    }
    if (failure instanceof VirtualMachineError fatal) {
      throw fatal;
    }
  }

  private void answer(Job job, Inference outputs, Throwable failure) {
    // in-flight drops before the caller hears back: whoever reacts to the answer sees the model idle
    state.decrementAndGet();
    if (failure == null) {
      job.future.complete(outputs);
    } else {
      job.future.completeExceptionally(failure);
    }
  }

  private void failQueued(Job job, Throwable failure) {
    queued.decrementAndGet();
    answer(job, null, failure);
  }

  private void failWaiting() {
    Job job;
    while ((job = queue.poll()) != null) {
      failQueued(job, unloaded());
    }
  }

  private ModelNotResidentException unloaded() {
    return new ModelNotResidentException("model unloaded: " + key);
  }

  private static int rowsOf(List<Tensor> inputs) {
    if (inputs == null || inputs.isEmpty()) {
      throw InvalidInputException.malformed(InvalidInputException.INVALID_INPUT, "a request needs at least one input");
    }
    long rows = -1;
    for (Tensor t : inputs) {
      if (t.shape().length == 0) {
        throw InvalidInputException.unprocessable(InvalidInputException.SHAPE_MISMATCH,
            "input '" + t.name() + "' is a scalar; inputs need a batch dimension");
      }
      if (rows >= 0 && t.shape()[0] != rows) {
        throw InvalidInputException.unprocessable(InvalidInputException.SHAPE_MISMATCH,
            "inputs must share their batch size (dimension 0); '" + t.name() + "' has " + t.shape()[0]
                + ", the first has " + rows);
      }
      rows = t.shape()[0];
    }
    return Math.toIntExact(rows);
  }

  /** Same inputs, datatypes and trailing dimensions: their bytes can simply be concatenated. */
  private static boolean compatible(Job a, Job b) {
    if (a.inputs.size() != b.inputs.size()) {
      return false;
    }
    for (int i = 0; i < a.inputs.size(); i++) {
      Tensor x = a.inputs.get(i);
      Tensor y = b.inputs.get(i);
      if (!x.name().equals(y.name()) || !x.datatype().equals(y.datatype())
          || !Arrays.equals(x.shape(), 1, x.shape().length, y.shape(), 1, y.shape().length)) {
        return false;
      }
    }
    return true;
  }

  private static List<Tensor> concat(List<Job> batch) {
    List<Tensor> first = batch.get(0).inputs;
    List<Tensor> merged = new ArrayList<>(first.size());
    long rows = 0;
    for (Job job : batch) {
      rows += job.rows;
    }
    for (int i = 0; i < first.size(); i++) {
      int size = 0;
      for (Job job : batch) {
        size = Math.addExact(size, job.inputs.get(i).data().length);
      }
      byte[] data = new byte[size];
      int offset = 0;
      for (Job job : batch) {
        byte[] part = job.inputs.get(i).data();
        System.arraycopy(part, 0, data, offset, part.length);
        offset += part.length;
      }
      Tensor t = first.get(i);
      long[] shape = t.shape().clone();
      shape[0] = rows;
      merged.add(new Tensor(t.name(), t.datatype(), shape, data));
    }
    return merged;
  }

  private List<List<Tensor>> split(List<Tensor> outputs, List<Job> batch) {
    long rows = 0;
    for (Job job : batch) {
      rows += job.rows;
    }
    List<List<Tensor>> results = new ArrayList<>(batch.size());
    for (int j = 0; j < batch.size(); j++) {
      results.add(new ArrayList<>(outputs.size()));
    }
    for (Tensor out : outputs) {
      if (out.shape().length == 0 || out.shape()[0] != rows) {
        throw new InferenceException("output '" + out.name() + "' of " + key + " has shape "
            + Arrays.toString(out.shape()) + " for a batch of " + rows + " rows: the model cannot be batched;"
            + " set its maxBatchSize to 1");
      }
      int bytesPerRow = rows == 0 ? 0 : (int) (out.data().length / rows);
      int offset = 0;
      for (int j = 0; j < batch.size(); j++) {
        int n = batch.get(j).rows * bytesPerRow;
        long[] shape = out.shape().clone();
        shape[0] = batch.get(j).rows;
        results.get(j).add(new Tensor(out.name(), out.datatype(), shape,
            Arrays.copyOfRange(out.data(), offset, offset + n)));
        offset += n;
      }
    }
    return results;
  }

  /** The context if it holds a sampled span: others cost nothing in the batch loop. */
  private static Context traced(Context trace) {
    return trace != null && Span.fromContext(trace).getSpanContext().isSampled() ? trace : null;
  }

  /**
   * For each traced request of the batch: its queue wait (ended now) and its batch forward span (started
   * now, ended by the caller). The SDK is the process's global one, as the node installed it.
   */
  private List<Span> traceQueueWait(List<Job> batch, long started) {
    List<Span> forward = null;
    long epochNow = TimeUnit.MILLISECONDS.toNanos(System.currentTimeMillis());
    for (Job job : batch) {
      if (job.trace == null) {
        continue;
      }
      Tracer tracer = GlobalOpenTelemetry.getTracer("io.modelplane");
      tracer.spanBuilder("queue wait").setParent(job.trace).setAllAttributes(spanAttributes)
          .setStartTimestamp(epochNow - (started - job.queuedAt), TimeUnit.NANOSECONDS).startSpan()
          .end(epochNow, TimeUnit.NANOSECONDS);
      if (forward == null) {
        forward = new ArrayList<>();
      }
      forward.add(tracer.spanBuilder("batch forward").setParent(job.trace).setAllAttributes(spanAttributes)
          .setAttribute("modelplane.batch.size", batch.size())
          .setAttribute("modelplane.batch.rows", job.rows)
          .startSpan());
    }
    return forward == null ? List.of() : forward;
  }

  /** One request: its inputs, its row count (dimension 0), its deadline and the caller's future. Identity equality. */
  private static final class Job {
    final List<Tensor> inputs;
    final int rows;
    final long deadline;
    final CompletableFuture<Inference> future;
    final Context trace;
    final long queuedAt = System.nanoTime();

    Job(List<Tensor> inputs, int rows, long deadline, CompletableFuture<Inference> future, Context trace) {
      this.inputs = inputs;
      this.rows = rows;
      this.deadline = deadline;
      this.future = future;
      this.trace = trace;
    }
  }
}
