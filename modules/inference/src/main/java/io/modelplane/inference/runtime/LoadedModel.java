package io.modelplane.inference.runtime;

import ai.djl.Device;
import java.util.List;

/**
 * One model version loaded on one device, ready for forward passes. Implementations are thread-safe;
 * {@link ModelLoader} makes the DJL one, tests make fakes.
 */
public interface LoadedModel extends AutoCloseable {

  ModelSpec spec();

  Device device();

  /**
   * Bytes this model holds on its device: the DJL one counts its archive's inflated tensors, code
   * and pickles, or its parameters as the engine holds them if more. By default what was admitted.
   */
  default long residentBytes() {
    return spec().sizeBytes();
  }

  /**
   * One forward pass. {@code inputs} are in the manifest's input order, already validated, each with
   * the batch as dimension 0; the outputs come back in the manifest's output order, named after it.
   */
  List<Tensor> forward(List<Tensor> inputs);

  /**
   * One forward pass while {@code running} passes of this model run at once, this one included: an engine
   * with intra-op threads gives each a share of them. By default {@link #forward(List)}.
   */
  default List<Tensor> forward(List<Tensor> inputs, int running) {
    return forward(inputs);
  }

  /**
   * How many forward passes may run at once, each on its share of the engine threads: 1 unless the engine
   * splits its threads (on a CPU, a model with several intra-op threads runs that many single-threaded
   * passes at once under load instead of one multi-threaded pass after another, and its threads no longer
   * wait for each other).
   */
  default int parallelForwards() {
    return 1;
  }

  /**
   * The engine's intra-op threads for forward passes from now on (0: one per core; null: what the
   * loader was told). Engines without such a setting ignore it.
   */
  default void useEngineThreads(Integer threads) {}

  /**
   * The engine's intra-op threads forward passes use now (0: one per core), as set or as chosen from
   * the model's measured forward time; null for engines without such a setting.
   */
  default Integer engineThreads() {
    return null;
  }

  /** Frees the model's (native) memory; idempotent. A forward after close fails with {@link ModelNotResidentException}. */
  @Override
  void close();
}
