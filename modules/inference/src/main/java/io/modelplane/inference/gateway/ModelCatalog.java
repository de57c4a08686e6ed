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
  CompletionStage<Optional<Entry>> versions(ModelKey model);

  /**
   * {@code versions}: the model's versions (archived left out); {@code deployed}: those its current
   * deployment routes to (empty: no deployment). A deployed version the routing table does not know yet
   * is on its way there (the placement feed trails the journal by a fraction of a second).
   */
  record Entry(Set<Integer> versions, Set<Integer> deployed) {}
}
