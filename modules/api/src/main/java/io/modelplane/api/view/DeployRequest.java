package io.modelplane.api.view;

import java.util.Map;

/**
 * The body of {@code PUT .../deployment}: traffic percent by version number; absent settings take the defaults,
 * {@code engineThreads} absent the node's; {@code expectedRevision} guards against lost updates.
 * {@code maxReplicas} turns autoscaling on ({@code minReplicas}, {@code targetInFlight} and
 * {@code idleUnloadSeconds} apply only with it); {@code replicas} is then the count each version starts with.
 */
public record DeployRequest(Map<String, Integer> traffic, Integer replicas, Integer maxBatchSize,
    Integer maxBatchDelayMs, Integer engineThreads, Long expectedRevision, Integer minReplicas, Integer maxReplicas,
    Integer targetInFlight, Integer idleUnloadSeconds) {}
