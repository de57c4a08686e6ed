package io.modelplane.inference.runtime;

import io.modelplane.common.TensorSpec;
import java.util.ArrayList;
import java.util.List;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs a freshly loaded model on zero inputs of its signature before it serves. libtorch's profiling graph
 * executor profiles a TorchScript graph on its first call and optimizes it on the next: milliseconds each even
 * for a tiny model (measured: p50 2–4 ms, p90 up to 28 ms for the digits MLP whose warm forward takes 0.15 ms).
 * Done at load, those calls are not a user's first requests, which matters most when many small models are each
 * called rarely. Best effort: a model that fails on zeros still loads.
 */
final class GraphWarmUp {

  private static final Logger log = LoggerFactory.getLogger(GraphWarmUp.class);
  /** A forward slower than this is a large model: one shape is warmed, not two (a batch of 2 costs it twice). */
  private static final long SMALL_MODEL_NANOS = 10_000_000L;

  private GraphWarmUp() {}

  /** Forwards zero inputs (batch 1 twice, then batch 2 twice for a small model); false when it could not. */
  static boolean warm(LoadedModel model) {
    List<Tensor> one = zeros(model.spec(), 1);
    if (one == null) {
      return false; // a dimension other than the batch is dynamic, or a type without a fixed size
    }
    try {
      model.forward(one);
      long started = System.nanoTime();
      model.forward(one);
      List<Tensor> two = zeros(model.spec(), 2);
      if (System.nanoTime() - started < SMALL_MODEL_NANOS && two != null) {
        // the batcher's batches have other sizes: the executor specializes on shapes
        model.forward(two);
        model.forward(two);
      }
      return true;
    } catch (RuntimeException e) {
      log.debug("{} could not be warmed on zero inputs (it loads anyway): {}", model.spec().key(), e.getMessage());
      return false;
    }
  }

  /** Zero inputs with {@code rows} as a dynamic first dimension; null when the signature allows none. */
  static List<Tensor> zeros(ModelSpec spec, int rows) {
    List<Tensor> inputs = new ArrayList<>(spec.inputs().size());
    for (TensorSpec input : spec.inputs()) {
      List<Long> declared = input.shape();
      if (declared.isEmpty() || "BYTES".equals(input.datatype())) {
        return null;
      }
      long[] shape = new long[declared.size()];
      for (int d = 0; d < shape.length; d++) {
        long size = declared.get(d);
        if (size < 0 && d > 0) {
          return null;
        }
        shape[d] = size < 0 ? rows : size;
      }
      if (shape[0] != rows && rows != 1) {
        return null; // a fixed batch dimension: only one shape exists
      }
      long elements = 1;
      for (long size : shape) {
        elements = Math.multiplyExact(elements, size);
      }
      long bytes = Math.multiplyExact(elements, Tensor.bytesPerElement(input.datatype()));
      if (bytes > 64L * 1024 * 1024) {
        return null;
      }
      inputs.add(new Tensor(input.name(), input.datatype(), shape, new byte[(int) bytes]));
    }
    return inputs;
  }
}
