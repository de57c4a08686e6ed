/**
 * The inference runtime: loads TorchScript models with DJL, keeps them resident under a per-device
 * byte budget, batches requests on one dedicated thread per model and checks tensors against a
 * version's signature (the wire codec is the api's). A plain library (DJL Serving's {@code wlm}
 * vocabulary): no actor, web framework or JSON types in here, so the actors around it only carry
 * out its decisions.
 */
package io.modelplane.inference.runtime;
