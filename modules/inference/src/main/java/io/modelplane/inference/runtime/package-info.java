/**
 * The inference runtime: loads TorchScript models with DJL, keeps them resident under a per-device
 * byte budget, batches requests on one dedicated thread per model and converts Open Inference
 * Protocol v2 JSON to tensors. A plain library (DJL Serving's {@code wlm} vocabulary): no actor or
 * web framework types in here, so the actors around it only carry out its decisions.
 */
package io.modelplane.inference.runtime;
