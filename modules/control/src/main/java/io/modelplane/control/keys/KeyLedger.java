package io.modelplane.control.keys;

import akka.Done;
import java.util.concurrent.CompletionStage;

/** Where the facts about data keys are journaled (never the keys themselves): the port {@link StoredTenantKeys} records to. */
public interface KeyLedger {

  /** A tenant's data key was created, wrapped under {@code kekId}. */
  CompletionStage<Done> created(String tenant, String keyId, String kekId);

  /** A tenant's data key was destroyed (crypto-shredded) by {@code actor}. */
  CompletionStage<Done> destroyed(String tenant, String keyId, String actor);

  /** {@code count} data keys were re-wrapped from {@code previousKek} to {@code activeKek} by {@code actor}. */
  CompletionStage<Done> rewrapped(String previousKek, String activeKek, int count, String actor);
}
