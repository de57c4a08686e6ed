package io.modelplane.tenancy.admission;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.actor.typed.javadsl.AskPattern;
import io.modelplane.common.Quota;
import io.modelplane.common.TenantId;
import io.modelplane.tenancy.admission.AdmissionLeases.Admitted;
import io.modelplane.tenancy.admission.AdmissionLeases.Refusal;
import io.modelplane.tenancy.admission.AdmissionLeases.Refused;
import io.modelplane.tenancy.admission.AdmissionLeases.Verdict;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * Leases against a real quota entity, on a clock the test moves: what gateway nodes admit
 * together stays within the tenant's one bucket, and each refusal says which limit.
 */
class AdmissionLeasesTest {
  private static final ActorTestKit testKit = ActorTestKit.create();
  private static final TenantId TENANT = TenantId.of("acme");
  private static final long MS = 1_000_000L;

  private final AtomicLong clock = new AtomicLong(1_000_000_000L);
  private final AtomicReference<Quota> quota = new AtomicReference<>();
  private final AtomicLong usedMicros = new AtomicLong();
  private ActorRef<QuotaEntity.Command> entity;

  @AfterAll
  static void stop() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    quota.set(rate(100.0, 10, null));
    QuotaEntity.Sources sources = new QuotaEntity.Sources() {
      @Override
      public CompletionStage<Quota> quota(TenantId tenant) {
        return CompletableFuture.completedFuture(quota.get());
      }

      @Override
      public CompletionStage<Long> computeMicrosThisMonth(TenantId tenant) {
        return CompletableFuture.completedFuture(usedMicros.get());
      }
    };
    entity = testKit.spawn(QuotaEntity.create(TENANT, sources, clock::get));
  }

  /** A node whose exchanges with the entity may take 5 s of real time (a stalled machine is not an outage). */
  private AdmissionLeases node(String name) {
    return node(name, Duration.ofSeconds(5));
  }

  private AdmissionLeases node(String name, Duration askTimeout) {
    return new AdmissionLeases(name, (tenant, request) -> AskPattern.ask(entity, request::apply,
        askTimeout, testKit.scheduler()), clock::get);
  }

  /** What a PATCH does: the entity reads the quota again; returns once it is in force there. */
  private void refresh() throws Exception {
    AskPattern.<QuotaEntity.Command, QuotaEntity.Refreshed>ask(entity, QuotaEntity.Refresh::new, Duration.ofSeconds(3),
        testKit.scheduler()).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  private static Quota rate(Double rps, Integer burst, Integer concurrent) {
    return new Quota(rps, burst, concurrent, null, null, null, null);
  }

  private static Verdict admit(AdmissionLeases node) throws Exception {
    return node.admit(TENANT).toCompletableFuture().get(5, TimeUnit.SECONDS);
  }

  @Test
  void admitsTheBurstThenRefusesWithRateLimitedUntilTokensRefill() throws Exception {
    AdmissionLeases node = node("a");
    int admitted = 0;
    Verdict last = null;
    for (int i = 0; i < 30; i++) {
      last = admit(node);
      if (last instanceof Admitted) {
        admitted++;
      }
    }
    assertThat(admitted).isEqualTo(10);
    assertThat(last).isInstanceOfSatisfying(Refused.class, r -> {
      assertThat(r.reason()).isEqualTo(Refusal.RATE_LIMITED);
      assertThat(r.reason().code()).isEqualTo("rate_limited");
      assertThat(r.retryAfterNanos()).isPositive();
      assertThat(r.limits().limit()).isEqualTo(100.0);
    });
    clock.addAndGet(100 * MS); // 10 tokens more at 100/s
    int later = 0;
    for (int i = 0; i < 30; i++) {
      if (admit(node) instanceof Admitted) {
        later++;
      }
    }
    assertThat(later).isEqualTo(10);
  }

  @Test
  void requestsArrivingTogetherOnAColdLeaseAreAllAdmittedWhenTheBucketHasRoom() throws Exception {
    quota.set(rate(1000.0, 1000, 100));
    AdmissionLeases node = node("a");
    List<CompletableFuture<Verdict>> together = new ArrayList<>();
    for (int i = 0; i < 8; i++) {
      together.add(node.admit(TENANT).toCompletableFuture()); // all before the first exchange is back
    }
    for (CompletableFuture<Verdict> v : together) {
      assertThat(v.get(5, TimeUnit.SECONDS)).isInstanceOf(Admitted.class);
    }
  }

  @Test
  void twoNodesTogetherStayWithinBurstPlusRateTimesTime() throws Exception {
    quota.set(rate(200.0, 20, null));
    List<AdmissionLeases> nodes = List.of(node("a"), node("b"));
    long start = clock.get();
    int admitted = 0;
    int refused = 0;
    // 3 simulated seconds, both nodes offering 2 requests every millisecond (10x the rate)
    for (int ms = 0; ms < 3_000; ms++) {
      clock.addAndGet(MS);
      if (ms % 250 == 0) {
        nodes.forEach(AdmissionLeases::tick);
      }
      for (AdmissionLeases n : nodes) {
        for (int i = 0; i < 2; i++) {
          Verdict v = admit(n);
          if (v instanceof Admitted) {
            admitted++;
          } else {
            assertThat(((Refused) v).reason()).isEqualTo(Refusal.RATE_LIMITED);
            refused++;
          }
        }
      }
    }
    double seconds = (clock.get() - start) / 1e9;
    double bound = 20 + 200 * seconds;
    assertThat(admitted).isLessThanOrEqualTo((int) Math.floor(bound));
    // and not starved by leases parked on the other node: at least 95% of the sustained rate
    assertThat(admitted).isGreaterThanOrEqualTo((int) (0.95 * 200 * seconds));
    assertThat(refused).isPositive();
  }

  @Test
  void concurrencyIsCountedAcrossNodesAndFreedOnRelease() throws Exception {
    quota.set(rate(null, null, 4));
    AdmissionLeases a = node("a");
    AdmissionLeases b = node("b");
    List<Admitted> held = new ArrayList<>();
    for (int i = 0; i < 6; i++) {
      for (AdmissionLeases n : List.of(a, b)) {
        clock.addAndGet(25 * MS); // past the local "no permits" window, so each node asks again
        if (admit(n) instanceof Admitted ok) {
          held.add(ok);
        }
      }
    }
    assertThat(held).hasSize(4);
    clock.addAndGet(25 * MS);
    assertThat(admit(b)).isInstanceOfSatisfying(Refused.class,
        r -> assertThat(r.reason().code()).isEqualTo("concurrency_limited"));
    held.forEach(h -> h.release().run());
    // the node holding the permits shrinks its share at its next renewal; the other can then use them
    clock.addAndGet(25 * MS);
    a.tick();
    b.tick();
    clock.addAndGet(25 * MS);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      clock.addAndGet(25 * MS);
      a.tick();
      try {
        assertThat(admit(b)).isInstanceOf(Admitted.class);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  @Test
  void aQuotaChangeIsSeenOnTheNextLeaseRead() throws Exception {
    AdmissionLeases node = node("a");
    assertThat(admit(node).limits().limit()).isEqualTo(100.0);
    quota.set(rate(5.0, 1, null));
    refresh();
    clock.addAndGet(AdmissionLeases.STALE_NANOS);
    node.tick();
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      try {
        assertThat(admit(node).limits().limit()).isEqualTo(5.0);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  @Test
  void tokensLeasedUnderOldLimitsAreNotSpentAfterAnInvalidation() throws Exception {
    quota.set(rate(1000.0, 1000, null));
    AdmissionLeases node = node("a");
    assertThat(admit(node)).isInstanceOf(Admitted.class); // the node now holds a chunk of 50 tokens
    quota.set(rate(5.0, 1, null));
    refresh();
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      node.invalidate(TENANT);
      try {
        assertThat(admit(node).limits().limit()).isEqualTo(5.0);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
    int admitted = 0;
    for (int i = 0; i < 20; i++) {
      admitted += admit(node) instanceof Admitted ? 1 : 0;
    }
    assertThat(admitted).isLessThanOrEqualTo(1); // the new burst, never the 50 leased before
  }

  @Test
  void anExhaustedBudgetRefusesWithBudgetExhausted() throws Exception {
    quota.set(new Quota(null, null, null, null, null, null, 10L));
    usedMicros.set(11_000_000L);
    AdmissionLeases node = node("a");
    assertThat(admit(node)).isInstanceOf(Admitted.class); // the first grant answers before usage is read
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      clock.addAndGet(AdmissionLeases.STALE_NANOS);
      node.tick();
      try {
        assertThat(admit(node)).isInstanceOfSatisfying(Refused.class, r -> {
          assertThat(r.reason().code()).isEqualTo("budget_exhausted");
          assertThat(r.retryAfterNanos()).isPositive();
          assertThat(r.limits().limit()).isEqualTo(10.0); // the headers describe the budget
          assertThat(r.limits().remaining()).isZero();
        });
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  @Test
  void withTheEntityOutOfReachEachNodeEnforcesTheLastKnownQuotaAlone() throws Exception {
    quota.set(rate(10.0, 3, null));
    AdmissionLeases node = node("a", Duration.ofMillis(500));
    assertThat(admit(node)).isInstanceOf(Admitted.class);
    testKit.stop(entity);
    clock.addAndGet(AdmissionLeases.STALE_NANOS);
    node.tick(); // this exchange times out: the node decides alone from now on
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      try {
        int admitted = 0;
        Verdict last = null;
        for (int i = 0; i < 10; i++) {
          last = admit(node);
          admitted += last instanceof Admitted ? 1 : 0;
        }
        assertThat(admitted).isLessThanOrEqualTo(4); // the lease left over + a local bucket of 3
        assertThat(last).isInstanceOf(Refused.class);
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      return null;
    });
  }

  @Test
  void anIdleTenantsLeaseIsGivenBackToTheOtherNodes() throws Exception {
    quota.set(rate(0.001, 20, null)); // next to no refill: what b gets is what a gave back
    AdmissionLeases a = node("a");
    assertThat(admit(a)).isInstanceOf(Admitted.class);
    assertThat(a.size()).isEqualTo(1);
    clock.addAndGet(AdmissionLeases.IDLE_NANOS);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      a.tick(); // once its top-up is back, the quiet lease goes
      assertThat(a.size()).isZero();
      return null;
    });
    // a used one token and held one more; b gets all the rest, the returned one included
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      AdmissionLeases fresh = node("b" + System.nanoTime());
      int admitted = 0;
      try {
        for (int i = 0; i < 25; i++) {
          admitted += admit(fresh) instanceof Admitted ? 1 : 0;
        }
      } catch (Exception e) {
        throw new AssertionError(e);
      }
      assertThat(admitted).isEqualTo(19);
      return null;
    });
  }

  /** Lets the quiet lease go: its top-up back, a tick gives it up. */
  private void idle(AdmissionLeases node) {
    clock.addAndGet(AdmissionLeases.IDLE_NANOS);
    testKit.createTestProbe().awaitAssert(Duration.ofSeconds(3), () -> {
      node.tick();
      assertThat(node.size()).isZero();
      return null;
    });
  }

  @Test
  void aTenantBackAfterItsLeaseWentIsAdmittedByTheLastLimitsWhileTheEntityIsOutOfReach() throws Exception {
    quota.set(rate(10.0, 3, 1));
    AdmissionLeases node = node("a", Duration.ofMillis(300));
    Verdict first = admit(node);
    assertThat(first).isInstanceOf(Admitted.class);
    ((Admitted) first).release().run();
    idle(node);
    testKit.stop(entity);

    Verdict again = admit(node); // the exchange times out: decided alone by the last limits, not failed
    assertThat(again).isInstanceOf(Admitted.class);
    assertThat(again.limits().limit()).isEqualTo(10.0);
    assertThat(admit(node)).isInstanceOf(Refused.class) // those limits hold: one request in flight at most
        .extracting(v -> ((Refused) v).reason()).isEqualTo(Refusal.CONCURRENCY_LIMITED);
    ((Admitted) again).release().run();
  }

  @Test
  void anInvalidationForgetsTheLastLimitsSoTheyNeverStandInForAChange() throws Exception {
    quota.set(rate(10.0, 3, null));
    AdmissionLeases node = node("a", Duration.ofMillis(300));
    assertThat(admit(node)).isInstanceOf(Admitted.class);
    idle(node);
    testKit.stop(entity);
    node.invalidate(TENANT); // e.g. the quota was changed
    assertThat(node.admit(TENANT).toCompletableFuture()).failsWithin(Duration.ofSeconds(5));
  }
}
