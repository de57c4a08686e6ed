/**
 * A gateway node's side of predict: {@link io.modelplane.inference.gateway.PredictPipeline} (admit,
 * route, infer, meter) over narrow ports ({@link io.modelplane.inference.gateway.Admission},
 * {@link io.modelplane.inference.gateway.UsageRecorder}, {@link io.modelplane.inference.gateway.ModelCatalog})
 * that the application wires to tenancy, metering and the control plane, and the router that receives
 * placement's routing tables. Placement depends on this package, never the other way round.
 */
package io.modelplane.inference.gateway;
