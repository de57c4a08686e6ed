package io.modelplane.control.keys;

import akka.Done;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;

/** A hand-written {@link KeyLedger} that remembers each fact as a line, for tests. */
public final class RecordedKeyLedger implements KeyLedger {
  public final List<String> facts = new CopyOnWriteArrayList<>();

  @Override
  public CompletionStage<Done> created(String tenant, String keyId, String kekId) {
    facts.add("created " + keyId + " under " + kekId);
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public CompletionStage<Done> destroyed(String tenant, String keyId, String actor) {
    facts.add("destroyed " + keyId + " by " + actor);
    return CompletableFuture.completedFuture(Done.getInstance());
  }

  @Override
  public CompletionStage<Done> rewrapped(String previousKek, String activeKek, int count, String actor) {
    facts.add("rewrapped " + count + " from " + previousKek + " to " + activeKek + " by " + actor);
    return CompletableFuture.completedFuture(Done.getInstance());
  }
}
