package io.modelplane.inference.runtime;

import ai.djl.Device;
import io.modelplane.common.VersionKey;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/** A hand-written {@link LoadedModel}: forward is one lambda; counts closes. */
final class FakeModel implements LoadedModel {

  final ModelSpec spec;
  final UnaryOperator<List<Tensor>> forward;
  final AtomicInteger closes = new AtomicInteger();
  /** What {@link #useEngineThreads} was last told; "never" before. */
  volatile Object engineThreads = "never";
  private long residentBytes = -1;
  private int parallelForwards = 1;
  /** For each forward pass, how many passes ran at once as the batcher said. */
  final List<Integer> runningSeen = new java.util.concurrent.CopyOnWriteArrayList<>();

  FakeModel(ModelSpec spec, UnaryOperator<List<Tensor>> forward) {
    this.spec = spec;
    this.forward = forward;
  }

  /** A model whose outputs are its inputs, renamed "out". */
  static FakeModel echo(ModelSpec spec) {
    return new FakeModel(spec, inputs -> inputs.stream()
        .map(t -> new Tensor("out", t.datatype(), t.shape(), t.data()))
        .toList());
  }

  static ModelSpec spec(VersionKey key, long bytes) {
    return new ModelSpec(key, java.nio.file.Path.of("/nowhere", key.model().model().value()), "torchscript", Digits.INPUTS, Digits.OUTPUTS,
        bytes);
  }

  /** Claims to hold {@code bytes} rather than the artifact's size. */
  FakeModel holding(long bytes) {
    residentBytes = bytes;
    return this;
  }

  @Override
  public long residentBytes() {
    return residentBytes < 0 ? spec.sizeBytes() : residentBytes;
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public Device device() {
    return Device.cpu();
  }

  /** Lets up to {@code passes} forward passes run at once, as an engine with that many threads. */
  FakeModel parallel(int passes) {
    parallelForwards = passes;
    return this;
  }

  @Override
  public int parallelForwards() {
    return parallelForwards;
  }

  @Override
  public List<Tensor> forward(List<Tensor> inputs) {
    return forward.apply(inputs);
  }

  @Override
  public List<Tensor> forward(List<Tensor> inputs, int running) {
    runningSeen.add(running);
    return forward.apply(inputs);
  }

  @Override
  public void useEngineThreads(Integer threads) {
    engineThreads = threads;
  }

  @Override
  public void close() {
    closes.incrementAndGet();
  }

  boolean closed() {
    return closes.get() > 0;
  }
}
