package io.modelplane.common;

/** Marker for messages, events and state serialized with Akka's Jackson CBOR serializer. */
public interface CborSerializable {}
