package io.modelplane.bench;

import ai.djl.Device;
import io.modelplane.inference.runtime.LoadedModel;
import io.modelplane.inference.runtime.ModelLoader;
import io.modelplane.inference.runtime.Tensor;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;

/**
 * The limit: DJL forward passes in this process, one caller thread, no HTTP, no queue. Calls the same
 * {@link LoadedModel#forward} the server's batch thread calls, with tensors already in wire-neutral
 * form (the NDArray copies in and out are part of what is measured, as in the server).
 */
final class RawBenchmark {

  /** One batch size: forwards run, the time they took and each one's latency. */
  record Result(int batch, long forwards, long elapsedNanos, Latencies latencies, double otherCores) {
    double itemsPerSecond() {
      return forwards * (double) batch / (elapsedNanos / 1e9);
    }

    double forwardsPerSecond() {
      return forwards / (elapsedNanos / 1e9);
    }
  }

  /** Every batch size measured, and the first sample's output at batch 1 (to check the HTTP path against). */
  record Sweep(List<Result> results, float[] sampleOutput) {
    Result best() {
      return results.stream().max((a, b) -> Double.compare(a.itemsPerSecond(), b.itemsPerSecond())).orElseThrow();
    }

    Result batch(int size) {
      return results.stream().filter(r -> r.batch() == size).findFirst().orElseThrow();
    }
  }

  private RawBenchmark() {}

  static Sweep run(BenchModel model, Path workRoot, Duration timed, long maxForwards, Reporter out) {
    ModelLoader loader = new ModelLoader(workRoot, ModelLoader.DEFAULT_MAX_EXTRACTED_BYTES);
    List<Result> results = new ArrayList<>();
    float[] sampleOutput;
    try (LoadedModel loaded = loader.load(model.spec(), Device.cpu())) {
      sampleOutput = BenchModel.row(loaded.forward(List.of(model.batch(1))).get(0), 0);
      for (int batch : model.rawBatches()) {
        List<Tensor> inputs = List.of(model.batch(batch));
        // warm-up: a tenth of the timed phase, at least 3 forwards (JIT, allocator, libtorch's first-call paths)
        long warmupEnd = System.nanoTime() + timed.toNanos() / 10;
        for (int i = 0; i < 3 || System.nanoTime() < warmupEnd; i++) {
          loaded.forward(inputs);
        }
        long[] nanos = new long[1024];
        int n = 0;
        long machineBefore = ServerProcess.machineBusyNanos();
        long selfBefore = ServerProcess.processCpuNanos("self");
        long start = System.nanoTime();
        long end = start + timed.toNanos();
        long now = start;
        while (now < end && n < maxForwards) {
          long t0 = now;
          loaded.forward(inputs);
          now = System.nanoTime();
          nanos = Latencies.ensure(nanos, n);
          nanos[n++] = now - t0;
        }
        long machineAfter = ServerProcess.machineBusyNanos();
        long selfAfter = ServerProcess.processCpuNanos("self");
        // CPU other processes took meanwhile: the limit is only as good as the machine was quiet
        double other = machineBefore < 0 || selfBefore < 0 || machineAfter < 0 || selfAfter < 0 ? Double.NaN
            : ((machineAfter - machineBefore) - (selfAfter - selfBefore)) / (double) (now - start);
        Result r = new Result(batch, n, now - start, Latencies.of(nanos, n), other);
        results.add(r);
        out.progress(String.format("raw %s batch %d: %d forwards, %.0f items/s, p50 %.3f ms, p99 %.3f ms; other"
            + " processes %.2f cores", model.name(), batch, n, r.itemsPerSecond(), r.latencies().p50(),
            r.latencies().p99(), other));
      }
    }
    return new Sweep(results, sampleOutput);
  }
}
