package io.modelplane.common;

import java.time.Instant;
import java.util.Map;

/**
 * One event of an entity's history as the API shows it: sequence number, type, when, by whom and
 * what changed, in plain JSON-able values (events themselves are forever and never exposed directly).
 */
public record HistoryEntry(long sequenceNr, String type, Instant at, String actor, Map<String, Object> details) {}
