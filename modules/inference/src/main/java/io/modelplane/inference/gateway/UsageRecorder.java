package io.modelplane.inference.gateway;

/** The port through which the pipeline meters every predict call it answered, admitted or not. */
@FunctionalInterface
public interface UsageRecorder {
  void record(PredictPipeline.Usage usage);
}
