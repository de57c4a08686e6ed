package io.modelplane.inference.runtime;

import java.util.List;

/**
 * One request's answer from its model: the outputs, and its share of the batch's compute time
 * (the forward pass's time split by rows), which metering bills.
 */
public record Inference(List<Tensor> outputs, long computeNanos) {}
