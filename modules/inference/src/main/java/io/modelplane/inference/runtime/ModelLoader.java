package io.modelplane.inference.runtime;

import ai.djl.Device;
import ai.djl.Model;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.FileSystemException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Loads model artifacts onto a device with DJL's PyTorch engine: a TorchScript file as the artifact
 * store keeps it (named by sha256, no extension), or a zip of a DJL model directory holding one
 * {@code .pt}. Thread-safe; subclass it to fake loading in tests.
 */
public class ModelLoader {

  public static final String TORCHSCRIPT = "torchscript";
  /** Unpacked size allowed for a zipped model directory by default (zip bombs stop here). */
  public static final long DEFAULT_MAX_EXTRACTED_BYTES = 8L * 1024 * 1024 * 1024;

  private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);

  private final Path workRoot;
  private final long maxExtractedBytes;
  private final int engineThreads;

  /** Works in the system's temporary directory with {@link #DEFAULT_MAX_EXTRACTED_BYTES}. */
  public ModelLoader() {
    this(null, DEFAULT_MAX_EXTRACTED_BYTES, 0);
  }

  /**
   * @param engineThreads intra-op threads of the engine for each thread that runs forward passes
   *     (0: the engine's default, one per core)
   */
  public ModelLoader(int engineThreads) {
    this(null, DEFAULT_MAX_EXTRACTED_BYTES, engineThreads);
  }

  /** Works in private directories under {@code workRoot} (null: the system's temporary directory). */
  public ModelLoader(Path workRoot, long maxExtractedBytes) {
    this(workRoot, maxExtractedBytes, 0);
  }

  private ModelLoader(Path workRoot, long maxExtractedBytes, int engineThreads) {
    if (maxExtractedBytes <= 0) {
      throw new IllegalArgumentException("maxExtractedBytes must be positive, was " + maxExtractedBytes);
    }
    if (engineThreads < 0) {
      throw new IllegalArgumentException("engineThreads must not be negative, was " + engineThreads);
    }
    this.workRoot = workRoot;
    this.maxExtractedBytes = maxExtractedBytes;
    this.engineThreads = engineThreads;
  }

  /**
   * Loads {@code spec}'s artifact onto {@code device}. Every failure is a {@link ModelLoadException}
   * and leaves nothing behind: what was opened is closed, the working directory deleted.
   */
  public LoadedModel load(ModelSpec spec, Device device) {
    if (!TORCHSCRIPT.equalsIgnoreCase(spec.format())) {
      throw new ModelLoadException("model " + spec.key() + " has format '" + spec.format() + "'; only "
          + TORCHSCRIPT + " can be loaded");
    }
    Path artifact = spec.artifact();
    if (!Files.isRegularFile(artifact) || !Files.isReadable(artifact)) {
      throw new ModelLoadException("artifact of " + spec.key() + " is not a readable file: " + artifact);
    }
    // before any engine reads it: a model uploaded before admission existed, or by another path
    ModelAdmission.requireAdmitted(spec.key(), artifact, workRoot);
    long started = System.nanoTime();
    Path dir = createWorkDir(spec);
    try {
      Path modelFile = switch (ModelArchive.inspect(artifact)) {
        case TORCHSCRIPT -> linkOrCopy(artifact.toAbsolutePath(), dir.resolve("model.pt"));
        case MODEL_DIRECTORY -> {
          ModelArchive.extract(artifact, dir, maxExtractedBytes);
          yield singlePtFile(spec, dir);
        }
      };
      String fileName = modelFile.getFileName().toString();
      String modelName = fileName.substring(0, fileName.length() - ".pt".length());
      // Model.load directly rather than Criteria.loadModel: on an engine failure the latter (DJL
      // 0.35.1 BaseModelLoader) never closes the model it created, leaking an NDManager per failed load
      Model model = Model.newInstance(modelName, device, DjlLoadedModel.ENGINE);
      try {
        // put the weights on the target device, wherever they were saved from
        model.load(modelFile.getParent(), modelName, Map.of("mapLocation", "true"));
      } catch (Exception | Error e) {
        model.close();
        throw e;
      }
      log.info("loaded {} on {} in {} ms", spec.key(), device, (System.nanoTime() - started) / 1_000_000);
      return new DjlLoadedModel(spec, device, model, engineThreads);
    } catch (ModelLoadException e) {
      throw e;
    } catch (Exception | LinkageError e) {
      // LinkageError: the native engine itself did not load
      throw new ModelLoadException("could not load " + spec.key() + " from " + artifact.getFileName() + ": "
          + DjlLoadedModel.engineMessage(e), e);
    } finally {
      // libtorch has read the whole file into memory by now (or failed): the directory is not needed
      deleteRecursively(dir);
    }
  }

  private Path createWorkDir(ModelSpec spec) {
    try {
      // on POSIX file systems a temporary directory is created rwx------
      return workRoot == null
          ? Files.createTempDirectory("modelplane-model-")
          : Files.createTempDirectory(Files.createDirectories(workRoot), "modelplane-model-");
    } catch (IOException e) {
      throw new ModelLoadException("no working directory to load " + spec.key() + ": " + e.getMessage(), e);
    }
  }

  private static Path linkOrCopy(Path artifact, Path link) throws IOException {
    try {
      return Files.createSymbolicLink(link, artifact);
    } catch (UnsupportedOperationException | FileSystemException e) {
      return Files.copy(artifact, link);
    }
  }

  private static Path singlePtFile(ModelSpec spec, Path dir) throws IOException {
    List<Path> pts;
    try (Stream<Path> files = Files.walk(dir)) {
      pts = files.filter(p -> Files.isRegularFile(p) && p.getFileName().toString().endsWith(".pt")).toList();
    }
    if (pts.size() != 1) {
      throw new ModelLoadException("model directory of " + spec.key() + " must hold exactly one .pt file, holds "
          + pts.size() + ": " + pts.stream().map(p -> dir.relativize(p).toString()).toList());
    }
    return pts.get(0);
  }

  private static void deleteRecursively(Path dir) {
    try {
      Files.walkFileTree(dir, new SimpleFileVisitor<>() {
        @Override
        public FileVisitResult visitFile(Path file, BasicFileAttributes attrs) throws IOException {
          Files.delete(file);
          return FileVisitResult.CONTINUE;
        }

        @Override
        public FileVisitResult postVisitDirectory(Path d, IOException e) throws IOException {
          Files.delete(d);
          return FileVisitResult.CONTINUE;
        }
      });
    } catch (IOException | UncheckedIOException e) {
      log.warn("could not delete working directory {}: {}", dir, e.getMessage());
    }
  }
}
