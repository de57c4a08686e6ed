package io.modelplane.inference.runtime;

import io.modelplane.common.TensorSpec;
import java.util.Arrays;
import java.util.List;

/** Checks of tensors against a version's declared signature (its manifest's inputs and outputs). */
public final class Signatures {
  private Signatures() {}

  /** Whether {@code shape} has the declared rank and fixed dimensions ({@code -1}: any size). */
  public static boolean fits(long[] shape, List<Long> expected) {
    if (shape.length != expected.size()) {
      return false;
    }
    for (int d = 0; d < shape.length; d++) {
      long e = expected.get(d);
      if (e != -1 && e != shape[d]) {
        return false;
      }
    }
    return true;
  }

  /**
   * Checks a model's answer against the outputs its manifest declares: the same names, datatypes,
   * ranks and fixed dimensions (-1: any). The model, not the caller, is at fault when they differ.
   */
  public static void checkOutputs(List<Tensor> produced, List<TensorSpec> declared) {
    if (produced.size() != declared.size()) {
      throw new OutputMismatchException("the model returned " + produced.size() + " outputs; its manifest declares "
          + declared.size() + " " + declared.stream().map(TensorSpec::name).toList());
    }
    for (int i = 0; i < declared.size(); i++) {
      Tensor t = produced.get(i);
      TensorSpec spec = declared.get(i);
      if (!t.name().equals(spec.name()) || !t.datatype().equals(spec.datatype())
          || !fits(t.shape(), spec.shape())) {
        throw new OutputMismatchException("the model returned output '" + t.name() + "' as " + t.datatype()
            + Arrays.toString(t.shape()) + "; its manifest declares '" + spec.name() + "' " + spec.datatype()
            + spec.shape() + " (-1: any size)");
      }
    }
  }
}
