package io.modelplane.bench;

import akka.actor.typed.ActorSystem;
import akka.actor.typed.javadsl.AskPattern;
import com.typesafe.config.Config;
import com.typesafe.config.ConfigFactory;
import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.admission.AdmissionLeases;
import io.modelplane.tenancy.admission.QuotaEntity;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;

/**
 * Issue 4's admission microbenchmark: what one predict admission costs a gateway node when its
 * lease decides locally. One tenant's {@link QuotaEntity} is the guardian of a local (no cluster)
 * actor system, one {@link AdmissionLeases} asks it over {@link AskPattern}, and caller threads
 * time admit + release pairs, against a tenant with every predict limit active (none ever refuses)
 * and against an unlimited one.
 */
final class AdmissionBenchmark {

  static final TenantId TENANT = TenantId.of("admission-bench");
  static final double RATE = 1_000_000.0;
  /**
   * Deeper than the 1,000,000 issue 4 suggests: the in-process loop admits several million a
   * second, which would drain a 1M burst within a second and then time refusals. The rate keeps the
   * lease chunk (50 ms of it: 50,000 tokens) and so how often a node tops up, as for a 1M/s tenant.
   */
  static final int BURST = 2_000_000_000;
  static final int MAX_CONCURRENT = 10_000;
  static final long MONTHLY_COMPUTE_SECONDS = 1_000_000_000L;
  static final Quota LIMITED = new Quota(RATE, BURST, MAX_CONCURRENT, null, null, null, MONTHLY_COMPUTE_SECONDS);

  private static final int[] THREADS = {1, 2};
  private static final long WARMUP_OPS = 1_000_000;
  private static final Duration WARMUP_BOUND = Duration.ofSeconds(1);
  private static final Duration TICK = Duration.ofMillis(250);
  private static final Duration ASK_TIMEOUT = Duration.ofSeconds(1);

  /**
   * One timed run.
   *
   * @param ops admit + release pairs done by all threads together
   * @param exchanges admits whose verdict was not ready at once (it waited for the quota entity)
   * @param refused admits refused (none expected)
   */
  record Result(String quota, int threads, long ops, long exchanges, long refused, long elapsedNanos) {

    /** Wall time per pair on each thread: what one request pays. */
    double nanosPerOp() {
      return elapsedNanos * (double) threads / ops;
    }

    double opsPerSecond() {
      return ops / (elapsedNanos / 1e9);
    }

    double exchangeFraction() {
      return exchanges / (double) ops;
    }
  }

  private AdmissionBenchmark() {}

  /** Both quotas, 1 and 2 threads, {@code opsPerThread} pairs each (fewer if {@code bound} runs out first). */
  static List<Result> run(long opsPerThread, Duration bound, Reporter out) throws InterruptedException {
    List<Result> results = new ArrayList<>();
    results.addAll(runQuota("unlimited", Quota.unlimited(), opsPerThread, bound, out));
    results.addAll(runQuota("all limits on", LIMITED, opsPerThread, bound, out));
    return results;
  }

  private static List<Result> runQuota(String label, Quota quota, long opsPerThread, Duration bound, Reporter out)
      throws InterruptedException {
    QuotaEntity.Sources sources = new QuotaEntity.Sources() {
      @Override
      public CompletionStage<Quota> quota(TenantId tenant) {
        return CompletableFuture.completedFuture(quota);
      }

      @Override
      public CompletionStage<Long> computeMicrosThisMonth(TenantId tenant) {
        return CompletableFuture.completedFuture(0L);
      }
    };
    ActorSystem<QuotaEntity.Command> system = ActorSystem.create(QuotaEntity.create(TENANT, sources, System::nanoTime),
        "admission-bench", config());
    ScheduledExecutorService ticker = Executors.newSingleThreadScheduledExecutor(r -> {
      Thread t = new Thread(r, "admission-tick");
      t.setDaemon(true);
      return t;
    });
    try {
      AdmissionLeases leases = new AdmissionLeases("bench-node",
          (tenant, request) -> AskPattern.ask(system, request::apply, ASK_TIMEOUT, system.scheduler()),
          System::nanoTime);
      // as production does: renewals, re-reads and returns happen while requests are admitted
      ticker.scheduleAtFixedRate(leases::tick, TICK.toMillis(), TICK.toMillis(), TimeUnit.MILLISECONDS);
      List<Result> results = new ArrayList<>();
      for (int threads : THREADS) {
        time(leases, label, threads, WARMUP_OPS, WARMUP_BOUND);
        Result r = time(leases, label, threads, opsPerThread, bound);
        out.progress(String.format("admission, %s, %d thread(s): %,d pairs, %.1f ns/pair, %,.0f pairs/s, %d waited"
            + " for the entity, %d refused", label, threads, r.ops(), r.nanosPerOp(), r.opsPerSecond(), r.exchanges(),
            r.refused()));
        results.add(r);
      }
      return results;
    } finally {
      ticker.shutdownNow();
      system.terminate();
      try {
        system.getWhenTerminated().toCompletableFuture().get(10, TimeUnit.SECONDS);
      } catch (java.util.concurrent.ExecutionException | TimeoutException e) {
        out.progress("admission benchmark actor system did not stop cleanly: " + e);
      }
    }
  }

  /** Local only: one node, no remoting, nothing serialized. */
  private static Config config() {
    return ConfigFactory.parseString("""
            akka.actor.provider = local
            akka.loglevel = WARNING
            akka.log-dead-letters = off
            akka.coordinated-shutdown.run-by-jvm-shutdown-hook = off
            """)
        .withFallback(ConfigFactory.defaultReference());
  }

  /** {@code threads} callers, each doing {@code opsPerThread} pairs or stopping at {@code bound}. */
  private static Result time(AdmissionLeases leases, String label, int threads, long opsPerThread, Duration bound)
      throws InterruptedException {
    Caller[] callers = new Caller[threads];
    Thread[] started = new Thread[threads];
    CountDownLatch ready = new CountDownLatch(threads);
    CountDownLatch go = new CountDownLatch(1);
    for (int i = 0; i < threads; i++) {
      callers[i] = new Caller(leases, opsPerThread, ready, go);
      started[i] = new Thread(callers[i], "admission-caller-" + i);
      started[i].setDaemon(true);
      started[i].start();
    }
    ready.await();
    long start = System.nanoTime();
    long deadline = start + bound.toNanos();
    for (Caller c : callers) {
      c.deadline = deadline;
    }
    go.countDown();
    long ops = 0;
    long exchanges = 0;
    long refused = 0;
    long end = start;
    for (int i = 0; i < threads; i++) {
      started[i].join();
      Caller c = callers[i];
      if (c.failure != null) {
        throw new IllegalStateException("admission caller failed", c.failure);
      }
      ops += c.done;
      exchanges += c.exchanges;
      refused += c.refused;
      end = Math.max(end, c.finishedAt);
    }
    return new Result(label, threads, ops, exchanges, refused, Math.max(1, end - start));
  }

  /** One caller thread: admit, then release at once (the request itself is not what is measured). */
  private static final class Caller implements Runnable {
    private final AdmissionLeases leases;
    private final long ops;
    private final CountDownLatch ready;
    private final CountDownLatch go;
    volatile long deadline;
    long done;
    long exchanges;
    long refused;
    long finishedAt;
    Throwable failure;

    Caller(AdmissionLeases leases, long ops, CountDownLatch ready, CountDownLatch go) {
      this.leases = leases;
      this.ops = ops;
      this.ready = ready;
      this.go = go;
    }

    @Override
    public void run() {
      try {
        ready.countDown();
        go.await();
        long stopAt = deadline;
        long n = 0;
        while (n < ops) {
          CompletableFuture<AdmissionLeases.Verdict> stage = leases.admit(TENANT).toCompletableFuture();
          AdmissionLeases.Verdict verdict;
          if (stage.isDone()) {
            verdict = stage.getNow(null);
          } else {
            exchanges++;
            verdict = stage.join();
          }
          if (verdict instanceof AdmissionLeases.Admitted admitted) {
            admitted.release().run();
          } else {
            refused++;
          }
          n++;
          // the clock is read rarely, so it stays out of what is measured
          if ((n & 0xFFF) == 0 && System.nanoTime() >= stopAt) {
            break;
          }
        }
        done = n;
      } catch (Throwable t) {
        failure = t;
      } finally {
        finishedAt = System.nanoTime();
      }
    }
  }
}
