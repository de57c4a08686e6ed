package io.modelplane.app;

import akka.actor.typed.ActorSystem;
import io.modelplane.inference.worker.WorkerActor;
import io.modelplane.inference.worker.WorkerStatuses;
import io.modelplane.metering.ResidentSample;
import io.modelplane.metering.ResidentSampler;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletionStage;

/**
 * The resident sampler's source: every worker in the cluster asked for its status. Worker-only nodes hold
 * no database credential, so the control nodes sample them over the cluster; a worker that does not answer
 * in time is left out of that sample (and billed nothing for it).
 */
final class ResidentSampling implements ResidentSampler.Source {
  private static final Duration ASK = Duration.ofSeconds(5);

  private final ActorSystem<?> system;

  ResidentSampling(ActorSystem<?> system) {
    this.system = system;
  }

  @Override
  public CompletionStage<List<ResidentSample>> sample() {
    return WorkerStatuses.all(system, ASK).thenApply(statuses -> {
      List<ResidentSample> samples = new ArrayList<>();
      for (WorkerActor.WorkerStatus status : statuses) {
        for (WorkerActor.ModelStatus model : status.models()) {
          samples.add(new ResidentSample(status.workerId(), model.version().model().tenant().value(),
              model.version().model().model().value(), String.valueOf(model.version().version()), model.bytes()));
        }
      }
      return samples;
    });
  }
}
