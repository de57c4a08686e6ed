package io.modelplane.inference.gateway;

import io.modelplane.common.ModelKey;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletionStage;

/**
 * The port that tells a model nobody deployed from one that does not exist, asked only on that
 * rare path: the routing table knows deployed models only.
 */
@FunctionalInterface
public interface ModelCatalog {
  /** The model's version numbers (archived ones left out); empty when there is no such model. */
  CompletionStage<Optional<Set<Integer>>> versions(ModelKey model);
}
