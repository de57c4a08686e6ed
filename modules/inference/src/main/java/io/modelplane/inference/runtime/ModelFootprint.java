package io.modelplane.inference.runtime;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * What a model occupies once loaded, estimated from its artifact before anything is loaded: the
 * bytes its archive's entries inflate to (a TorchScript file's tensor storages, code and pickles,
 * all read into memory by the engine), never less than the file itself. Placement admits replicas
 * by this estimate; the compressed upload size says nothing about it.
 */
public final class ModelFootprint {

  private ModelFootprint() {}

  /**
   * The estimate for {@code artifact}, counted by inflating every entry; stops past {@code cap}
   * (then {@code cap + 1}: more than anything may hold). A file that is no zip at all counts its
   * size (it fails to load anyway).
   */
  public static long estimate(Path artifact, long cap) throws IOException {
    long size = Files.size(artifact);
    try {
      return Math.max(size, ModelArchive.inflatedBytes(artifact, cap));
    } catch (ModelLoadException notAZip) {
      return size;
    }
  }
}
