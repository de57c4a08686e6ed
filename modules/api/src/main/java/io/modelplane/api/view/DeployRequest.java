package io.modelplane.api.view;

import java.util.Map;

/**
 * The body of {@code PUT .../deployment}: traffic percent by version number; absent settings take the defaults,
 * {@code engineThreads} absent the node's; {@code expectedRevision} guards against lost updates.
 */
public record DeployRequest(Map<String, Integer> traffic, Integer replicas, Integer maxBatchSize,
    Integer maxBatchDelayMs, Integer engineThreads, Long expectedRevision) {}
