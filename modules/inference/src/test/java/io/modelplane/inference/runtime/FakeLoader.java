package io.modelplane.inference.runtime;

import ai.djl.Device;
import io.modelplane.common.VersionKey;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.BiFunction;

/** A hand-written {@link ModelLoader}: load is one lambda; remembers what it loaded. */
final class FakeLoader extends ModelLoader {

  final BiFunction<ModelSpec, Device, LoadedModel> load;
  final List<VersionKey> loadedKeys = new CopyOnWriteArrayList<>();

  FakeLoader(BiFunction<ModelSpec, Device, LoadedModel> load) {
    this.load = load;
  }

  @Override
  public LoadedModel load(ModelSpec spec, Device device) {
    loadedKeys.add(spec.key());
    return load.apply(spec, device);
  }
}
