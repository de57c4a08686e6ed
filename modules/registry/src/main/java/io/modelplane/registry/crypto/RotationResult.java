package io.modelplane.registry.crypto;

/** The outcome of a KEK rotation: the KEK most data keys were wrapped under before, the active one, and how many were re-wrapped. */
public record RotationResult(String previousKek, String activeKek, int rewrapped) {}
