package io.modelplane.inference.runtime;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.inference.Predictor;
import ai.djl.ndarray.NDArray;
import ai.djl.ndarray.NDList;
import ai.djl.ndarray.NDManager;
import ai.djl.ndarray.types.DataType;
import ai.djl.ndarray.types.Shape;
import ai.djl.translate.NoopTranslator;
import io.modelplane.common.TensorSpec;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.util.ArrayList;
import java.util.List;
import java.util.Queue;
import java.util.Set;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.locks.Lock;
import java.util.concurrent.locks.ReentrantReadWriteLock;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A TorchScript model loaded through DJL: one shared {@link Model}, one {@link Predictor} per
 * concurrently calling thread (pooled), tensors of each call in a sub-NDManager closed after it.
 */
final class DjlLoadedModel implements LoadedModel {

  static final String ENGINE = "PyTorch";
  /** The Open Inference Protocol types the engine can take and give. */
  static final Set<String> ENGINE_TYPES = Set.of("BOOL", "UINT8", "INT8", "INT32", "INT64", "FP16", "FP32", "FP64");
  // NDList in, NDList out, no batchifier: batches are formed by BatchAggregator
  private static final NoopTranslator AS_IS = new NoopTranslator();

  private final ModelSpec spec;
  private final Device device;
  private final Model model;
  // a Predictor is not thread-safe; the pool grows to the number of threads calling at once (one
  // for a model behind a BatchAggregator)
  private final Queue<Predictor<NDList, NDList>> predictors = new ConcurrentLinkedQueue<>();
  // forward holds the read lock, close the write lock: native memory is never freed under a running forward
  private final ReentrantReadWriteLock lifecycle = new ReentrantReadWriteLock();
  private boolean closed;
  // what the loader was told, or chose from the measured forward time
  private volatile int defaultThreads;
  private volatile int engineThreads;
  // null: set (by the loader or the node); otherwise the forward time the choice was made from
  private volatile Long measuredForwardNanos;
  // libtorch's intra-op thread count is per calling thread (OpenMP): set it on each forward thread once
  private static final ThreadLocal<Integer> THREADS_SET = new ThreadLocal<>();
  private static final int CORES = Runtime.getRuntime().availableProcessors();
  static final int MAX_PARALLEL_FORWARDS = 4;

  private final long residentBytes;

  private static final Logger log = LoggerFactory.getLogger(DjlLoadedModel.class);
  // passes after the first; the fastest counts (the first ones still optimise the graph)
  private static final int MEASURED_PASSES = 10;
  private static final long MEASURE_BUDGET_NANOS = 200_000_000;
  private static final ThreadMXBean THREAD_TIMES = ManagementFactory.getThreadMXBean();

  DjlLoadedModel(ModelSpec spec, Device device, Model model) {
    this(spec, device, model, 0, spec.sizeBytes());
  }

  /** @param residentBytes what the model holds once loaded, as the loader measured it */
  DjlLoadedModel(ModelSpec spec, Device device, Model model, int engineThreads, long residentBytes) {
    this.residentBytes = residentBytes;
    this.spec = spec;
    this.device = device;
    this.model = model;
    this.defaultThreads = engineThreads;
    this.engineThreads = engineThreads;
  }

  @Override
  public void useEngineThreads(Integer threads) {
    engineThreads = threads == null ? defaultThreads : threads;
  }

  @Override
  public Integer engineThreads() {
    return engineThreads;
  }

  /** The forward time of one item on one thread that chose the default threads; null when they were set. */
  Long measuredForwardNanos() {
    return measuredForwardNanos;
  }

  /**
   * Measures a forward pass of one zero item on one thread (the fastest of a few on the calling thread;
   * the first also warms the engine's code for the first request) and makes {@link EngineThreadsPolicy}'s
   * choice the default. A model that cannot take zeros of its declared shape keeps 1 thread.
   */
  void chooseEngineThreads() {
    List<Tensor> zeros = GraphWarmUp.zeros(spec, 1);
    if (zeros == null) {
      log.info("{}: engine threads stay 1, its inputs cannot be made up for a measurement", spec.key());
      return;
    }
    int saved = engineThreads;
    engineThreads = 1;
    try {
      long best = timedForward(zeros);
      // the fastest of a few passes, as long as they stay short: a slow model must not add seconds to its load
      long spent = best;
      for (int i = 0; i < MEASURED_PASSES && spent < MEASURE_BUDGET_NANOS; i++) {
        long pass = timedForward(zeros);
        best = Math.min(best, pass);
        spent += pass;
      }
      int chosen = EngineThreadsPolicy.choose(best, CORES);
      measuredForwardNanos = best;
      defaultThreads = chosen;
      engineThreads = chosen;
      log.info("{}: a forward pass of one item takes {} µs on one thread, engine threads {}", spec.key(),
          best / 1_000, chosen);
    } catch (RuntimeException e) {
      engineThreads = saved;
      log.info("{}: engine threads stay 1, a forward pass of zeros failed: {}", spec.key(), engineMessage(e));
    }
  }

  /**
   * One forward pass's cost: the calling thread's CPU time where the JVM measures it (with one intra-op thread
   * the engine computes on the calling thread, and other processes on a busy machine do not count), else the
   * time on the clock.
   */
  private long timedForward(List<Tensor> inputs) {
    boolean cpu = THREAD_TIMES.isCurrentThreadCpuTimeSupported() && THREAD_TIMES.isThreadCpuTimeEnabled();
    long wall = System.nanoTime();
    long started = cpu ? THREAD_TIMES.getCurrentThreadCpuTime() : wall;
    forward(inputs);
    return cpu ? THREAD_TIMES.getCurrentThreadCpuTime() - started : System.nanoTime() - wall;
  }


  @Override
  public long residentBytes() {
    return residentBytes;
  }

  @Override
  public ModelSpec spec() {
    return spec;
  }

  @Override
  public Device device() {
    return device;
  }

  @Override
  public List<Tensor> forward(List<Tensor> inputs) {
    return forward(inputs, 1);
  }

  @Override
  public int parallelForwards() {
    // a GPU runs one pass at a time whatever the threads; each pass side by side holds its own activations, so
    // a many-core node runs a few passes of several threads rather than one single-threaded pass per core
    return device.isGpu() ? 1 : Math.min(MAX_PARALLEL_FORWARDS, Math.min(wantedThreads(), CORES));
  }

  private int wantedThreads() {
    int threads = engineThreads;
    return threads > 0 ? threads : CORES;
  }

  @Override
  public List<Tensor> forward(List<Tensor> inputs, int running) {
    Lock read = lifecycle.readLock();
    read.lock();
    try {
      if (closed) {
        throw new ModelNotResidentException("model " + spec.key() + " is unloaded");
      }
      // without a limit, each batch thread forks an OpenMP worker per core that spin-waits between
      // small forwards, taking CPU from the HTTP path; large models want every core (0)
      // set explicitly even for "one per core": a count set on any other thread (a load's measurement) changes
      // libtorch's default for threads that never set one
      // passes running side by side share the threads: together they never ask for more than one pass alone
      int wanted = Math.max(1, wantedThreads() / Math.max(1, running));
      if (!Integer.valueOf(wanted).equals(THREADS_SET.get())) {
        ai.djl.pytorch.jni.JniUtils.setNumThreads(wanted);
        THREADS_SET.set(wanted);
      }
      Predictor<NDList, NDList> predictor = predictors.poll();
      if (predictor == null) {
        predictor = model.newPredictor(AS_IS);
      }
      try (NDManager call = model.getNDManager().newSubManager()) {
        NDList in = new NDList(inputs.size());
        for (Tensor t : inputs) {
          in.add(toNDArray(call, t));
        }
        // the engine attaches the outputs to the manager of the first input: closed with `call`
        return toTensors(predictor.predict(in));
      } catch (InferenceException e) {
        throw e;
      } catch (Exception e) {
        throw new InferenceException("forward pass of " + spec.key() + " failed: " + engineMessage(e), e);
      } finally {
        predictors.offer(predictor);
      }
    } finally {
      read.unlock();
    }
  }

  private List<Tensor> toTensors(NDList out) {
    List<TensorSpec> declared = spec.outputs();
    if (out.size() != declared.size()) {
      throw new InferenceException("model " + spec.key() + " returned " + out.size() + " outputs, its manifest declares "
          + declared.size());
    }
    List<Tensor> tensors = new ArrayList<>(out.size());
    for (int i = 0; i < out.size(); i++) {
      tensors.add(toTensor(declared.get(i).name(), out.get(i), declared.get(i).datatype()));
    }
    return tensors;
  }

  @Override
  public void close() {
    Lock write = lifecycle.writeLock();
    write.lock();
    try {
      if (closed) {
        return;
      }
      closed = true;
      Predictor<NDList, NDList> p;
      while ((p = predictors.poll()) != null) {
        p.close();
      }
      model.close();
    } finally {
      write.unlock();
    }
  }

  /** The model's own NDManager: tests check it is closed, and that calls leave nothing in it. */
  NDManager manager() {
    return model.getNDManager();
  }

  static NDArray toNDArray(NDManager manager, Tensor t) {
    // the engine copies into a native-order direct buffer; the bytes are little-endian, as is every
    // platform libtorch runs on
    ByteBuffer data = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
    return manager.create(data, new Shape(t.shape()), djlType(t.name(), t.datatype()));
  }

  static Tensor toTensor(String name, NDArray array, String declared) {
    long[] shape = array.getShape().getShape();
    DataType type = array.getDataType();
    if (type != DataType.UNKNOWN && type != DataType.BFLOAT16) {
      return new Tensor(name, oipType(name, type), shape, array.toByteArray());
    }
    // DJL 0.35.1 names neither int16 nor bfloat16 outputs (and aborts the process creating such
    // tensors): the manifest says what the model returns
    if ("INT16".equals(declared)) {
      byte[] data = array.toByteArray();
      if (data.length == array.size() * 2) {
        return new Tensor(name, declared, shape, data);
      }
    } else if (ENGINE_TYPES.contains(declared)) {
      // e.g. bfloat16 widened to a declared FP32, losslessly
      return new Tensor(name, declared, shape, array.toType(djlType(name, declared), false).toByteArray());
    }
    throw new InferenceException("output '" + name + "' has a datatype the engine cannot name (bfloat16?) and the"
        + " manifest declares " + declared + "; declare FP32 to have it widened");
  }

  /**
   * The DJL type of an input. INT16 and the unsigned wide types are refused before they reach the
   * engine: DJL 0.35.1's PyTorch JNI aborts the whole process when asked to create such a tensor.
   */
  static DataType djlType(String name, String datatype) {
    return switch (datatype) {
      case "BOOL" -> DataType.BOOLEAN;
      case "UINT8" -> DataType.UINT8;
      case "INT8" -> DataType.INT8;
      case "INT32" -> DataType.INT32;
      case "INT64" -> DataType.INT64;
      case "FP16" -> DataType.FLOAT16;
      case "FP32" -> DataType.FLOAT32;
      case "FP64" -> DataType.FLOAT64;
      default -> throw InvalidInputException.unprocessable(InvalidInputException.UNSUPPORTED_DATATYPE,
          "input '" + name + "' has datatype " + datatype + ", which the PyTorch engine does not take");
    };
  }

  static String oipType(String name, DataType type) {
    return switch (type) {
      case BOOLEAN -> "BOOL";
      case UINT8 -> "UINT8";
      case UINT16 -> "UINT16";
      case UINT32 -> "UINT32";
      case UINT64 -> "UINT64";
      case INT8 -> "INT8";
      case INT16 -> "INT16";
      case INT32 -> "INT32";
      case INT64 -> "INT64";
      case FLOAT16 -> "FP16";
      case FLOAT32 -> "FP32";
      case FLOAT64 -> "FP64";
      default -> throw new InferenceException("output '" + name + "' has datatype " + type
          + ", which the Open Inference Protocol cannot carry");
    };
  }

  /**
   * The sentence that explains an engine failure: libtorch appends C++ stack frames to its messages
   * and the TorchScript interpreter a script traceback before the Python-side error.
   */
  static String engineMessage(Throwable t) {
    Throwable root = t;
    while (root.getCause() != null && root.getCause() != root) {
      root = root.getCause();
    }
    String message = root.getMessage();
    if (message == null || message.isBlank()) {
      return root.getClass().getSimpleName();
    }
    int frames = message.indexOf("\nException raised from");
    if (frames >= 0) {
      message = message.substring(0, frames);
    }
    String error = null;
    for (String line : message.split("\n")) {
      String trimmed = line.strip();
      if (trimmed.matches("^[A-Za-z.]*(Error|Exception): .*")) {
        error = trimmed;
      }
    }
    return error != null ? error : message.strip().split("\n", 2)[0];
  }
}
