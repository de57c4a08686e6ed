package io.modelplane.tenancy.plan;

import static org.assertj.core.api.Assertions.assertThat;

import akka.actor.testkit.typed.javadsl.ActorTestKit;
import akka.actor.typed.ActorRef;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit;
import akka.persistence.testkit.javadsl.EventSourcedBehaviorTestKit.CommandResultWithReply;
import io.modelplane.common.Plan;
import io.modelplane.common.Quota;
import io.modelplane.common.Rejection;
import io.modelplane.common.testing.ManualClock;
import io.modelplane.tenancy.plan.PlanEntity.Command;
import io.modelplane.tenancy.plan.PlanEntity.Create;
import io.modelplane.tenancy.plan.PlanEntity.Delete;
import io.modelplane.tenancy.plan.PlanEntity.Details;
import io.modelplane.tenancy.plan.PlanEntity.Event;
import io.modelplane.tenancy.plan.PlanEntity.Get;
import io.modelplane.tenancy.plan.PlanEntity.PlanCreated;
import io.modelplane.tenancy.plan.PlanEntity.PlanDeleted;
import io.modelplane.tenancy.plan.PlanEntity.PlanUpdated;
import io.modelplane.tenancy.plan.PlanEntity.Rejected;
import io.modelplane.tenancy.plan.PlanEntity.Reply;
import io.modelplane.tenancy.plan.PlanEntity.State;
import io.modelplane.tenancy.plan.PlanEntity.Update;
import java.time.Duration;
import java.time.Instant;
import java.util.function.Function;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

class PlanEntityTest {
  private static final ActorTestKit testKit = ActorTestKit.create(EventSourcedBehaviorTestKit.config());
  private static final String OPERATOR = "operator";
  private static final Instant T0 = Instant.parse("2026-12-01T00:00:00Z");
  private static final Quota GOLD_QUOTA = new Quota(1000.0, 2000, 128, 100, 100, null, null);
  private static final Plan GOLD = new Plan("gold", "Gold", GOLD_QUOTA, new Plan.Prices(250, 1200, 40, 9900), "EUR");

  private ManualClock clock;
  private EventSourcedBehaviorTestKit<Command, Event, State> gold;

  @AfterAll
  static void shutdown() {
    testKit.shutdownTestKit();
  }

  @BeforeEach
  void setUp() {
    clock = new ManualClock(T0);
    gold = entity("gold");
  }

  private EventSourcedBehaviorTestKit<Command, Event, State> entity(String id) {
    // every command, event, reply and state goes through Akka serialization and must come back equal
    return EventSourcedBehaviorTestKit.create(testKit.system(), PlanEntity.create(id, clock),
        EventSourcedBehaviorTestKit.enabledSerializationSettings().withVerifyEquality(true));
  }

  @Test
  void createRecordsThePlanWithTimeAndActor() {
    var result = run(gold, r -> new Create(GOLD, OPERATOR, r));

    assertThat(result.events()).containsExactly(new PlanCreated(GOLD, T0, OPERATOR));
    assertThat(result.reply()).isEqualTo(new Details(GOLD, T0, T0));
    assertThat(gold.persistenceTestKit().persistedInStorage("Plan|gold")).hasSize(1);
    assertThat(gold.restart().state()).isEqualTo(new PlanEntity.Active(GOLD, T0, T0));
  }

  @Test
  void aSecondCreateIsAConflict() {
    run(gold, r -> new Create(GOLD, OPERATOR, r));

    var again = run(gold, r -> new Create(GOLD, OPERATOR, r));

    assertRejected(again, Rejection.Reason.CONFLICT, "plan_exists");
    assertThat(again.hasNoEvents()).isTrue();
  }

  @Test
  void anInvalidPlanIsRefusedWithNothingRecorded() {
    Plan negative = new Plan("gold", "Gold", GOLD_QUOTA, new Plan.Prices(-1, 0, 0, 0), "EUR");
    Plan badCurrency = new Plan("gold", "Gold", GOLD_QUOTA, Plan.Prices.FREE, "euro");
    Plan badQuota = new Plan("gold", "Gold", new Quota(-5.0, null, null, null, null, null, null), Plan.Prices.FREE, "EUR");
    Plan otherId = new Plan("silver", "Silver", GOLD_QUOTA, Plan.Prices.FREE, "EUR");

    for (Plan invalid : new Plan[] {negative, badCurrency, badQuota, otherId}) {
      var result = run(gold, r -> new Create(invalid, OPERATOR, r));
      assertRejected(result, Rejection.Reason.INVALID, "invalid_plan");
      assertThat(result.hasNoEvents()).isTrue();
    }
    assertRejected(run(gold, Get::new), Rejection.Reason.NOT_FOUND, "plan_not_found");
  }

  @Test
  void updateReplacesThePlanAndKeepsItsCreationTime() {
    run(gold, r -> new Create(GOLD, OPERATOR, r));
    clock.advance(Duration.ofMinutes(5));
    Plan cheaper = new Plan("gold", "Gold (2027)", new Quota(10.0, 20, 4, 5, 5, null, null),
        new Plan.Prices(100, 600, 20, 4900), "EUR");

    var result = run(gold, r -> new Update(cheaper, "alice", r));

    Instant later = T0.plusSeconds(300);
    assertThat(result.events()).containsExactly(new PlanUpdated(cheaper, later, "alice"));
    assertThat(result.reply()).isEqualTo(new Details(cheaper, T0, later));
    // the same plan again: nothing to record
    assertThat(run(gold, r -> new Update(cheaper, "alice", r)).hasNoEvents()).isTrue();
    assertThat(gold.restart().state()).isEqualTo(new PlanEntity.Active(cheaper, T0, later));
  }

  @Test
  void anUnknownPlanCannotBeChangedReadOrDeleted() {
    assertRejected(run(gold, r -> new Update(GOLD, OPERATOR, r)), Rejection.Reason.NOT_FOUND, "plan_not_found");
    assertRejected(run(gold, r -> new Delete(0, OPERATOR, r)), Rejection.Reason.NOT_FOUND, "plan_not_found");
    assertRejected(run(gold, Get::new), Rejection.Reason.NOT_FOUND, "plan_not_found");
  }

  @Test
  void aPlanWithTenantsOnItIsNotDeleted() {
    run(gold, r -> new Create(GOLD, OPERATOR, r));

    var refused = run(gold, r -> new Delete(3, OPERATOR, r));

    assertRejected(refused, Rejection.Reason.CONFLICT, "plan_in_use");
    assertThat(refused.replyOfType(Rejected.class).rejection().message()).contains("3 tenants");
    assertThat(run(gold, Get::new).reply()).isInstanceOf(Details.class);
  }

  @Test
  void aDeletedPlanIsGoneAndItsIdFreeAgain() {
    run(gold, r -> new Create(GOLD, OPERATOR, r));

    var deleted = run(gold, r -> new Delete(0, OPERATOR, r));

    assertThat(deleted.events()).containsExactly(new PlanDeleted("gold", T0, OPERATOR));
    assertThat(deleted.reply()).isEqualTo(new PlanEntity.Deleted("gold"));
    assertRejected(run(gold, Get::new), Rejection.Reason.NOT_FOUND, "plan_not_found");
    gold.restart();
    assertRejected(run(gold, Get::new), Rejection.Reason.NOT_FOUND, "plan_not_found");
    assertThat(run(gold, r -> new Create(GOLD, OPERATOR, r)).reply()).isInstanceOf(Details.class);
  }

  @Test
  void theDefaultPlanExistsWithoutAnyEventAndIsProtected() {
    var defaultPlan = entity(Plan.DEFAULT_ID);

    assertThat(run(defaultPlan, Get::new).reply()).isEqualTo(new Details(Plan.builtInDefault(), null, null));
    assertRejected(run(defaultPlan, r -> new Create(Plan.builtInDefault(), OPERATOR, r)),
        Rejection.Reason.CONFLICT, "plan_exists");
    var protectedDelete = run(defaultPlan, r -> new Delete(0, OPERATOR, r));
    assertRejected(protectedDelete, Rejection.Reason.CONFLICT, "plan_protected");
    assertThat(protectedDelete.hasNoEvents()).isTrue();
  }

  @Test
  void theDefaultPlanCanBeChangedAndKeepsTheChangeAfterRecovery() {
    var defaultPlan = entity(Plan.DEFAULT_ID);
    Plan priced = new Plan(Plan.DEFAULT_ID, "Default", Quota.defaults(), new Plan.Prices(100, 0, 0, 0), "USD");

    var result = run(defaultPlan, r -> new Update(priced, OPERATOR, r));

    assertThat(result.events()).containsExactly(new PlanUpdated(priced, T0, OPERATOR));
    assertThat(result.reply()).isEqualTo(new Details(priced, T0, T0));
    assertThat(defaultPlan.restart().state()).isEqualTo(new PlanEntity.Active(priced, T0, T0));
  }

  @Test
  void historyDescribesEachEventWithItsPlan() {
    var created = PlanHistory.describe(1, new PlanCreated(GOLD, T0, OPERATOR));
    assertThat(created.type()).isEqualTo("plan_created");
    assertThat(created.actor()).isEqualTo(OPERATOR);
    assertThat(created.details()).containsEntry("plan", "gold").containsEntry("currency", "EUR");
    assertThat(PlanHistory.describe(2, new PlanDeleted("gold", T0, OPERATOR)).type()).isEqualTo("plan_deleted");
  }

  private static CommandResultWithReply<Command, Event, State, Reply> run(
      EventSourcedBehaviorTestKit<Command, Event, State> plan, Function<ActorRef<Reply>, Command> command) {
    return plan.runCommand(command);
  }

  private static void assertRejected(CommandResultWithReply<Command, Event, State, Reply> result,
      Rejection.Reason reason, String code) {
    Rejection rejection = result.replyOfType(Rejected.class).rejection();
    assertThat(rejection.reason()).isEqualTo(reason);
    assertThat(rejection.code()).isEqualTo(code);
  }
}
