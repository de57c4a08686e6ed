package io.modelplane.inference.runtime;

import ai.djl.Device;
import ai.djl.Model;
import ai.djl.ndarray.NDArray;
import ai.djl.nn.Parameter;
import ai.djl.util.Pair;
import io.modelplane.common.PrivateFiles;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.nio.file.FileVisitResult;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.SimpleFileVisitor;
import java.nio.file.StandardCopyOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.security.DigestInputStream;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicLong;
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
  /** Files a zipped model directory may hold by default. */
  public static final int DEFAULT_MAX_ENTRIES = 1_000;

  private static final Logger log = LoggerFactory.getLogger(ModelLoader.class);

  private final Path workRoot;
  private final long maxExtractedBytes;
  private final int maxEntries;
  private final int engineThreads;
  private final AtomicLong unpacks = new AtomicLong();
  private final ConcurrentHashMap<String, Object> unpacking = new ConcurrentHashMap<>();
  private Path root;

  /** Works in a private directory made in the system's temporary directory, with the default caps. */
  public ModelLoader() {
    this(null, DEFAULT_MAX_EXTRACTED_BYTES, DEFAULT_MAX_ENTRIES, 0);
  }

  /**
   * @param engineThreads intra-op threads of the engine for each thread that runs forward passes
   *     (0: the engine's default, one per core)
   */
  public ModelLoader(int engineThreads) {
    this(null, DEFAULT_MAX_EXTRACTED_BYTES, DEFAULT_MAX_ENTRIES, engineThreads);
  }

  /** Works in private directories under {@code workRoot} (null: the system's temporary directory). */
  public ModelLoader(Path workRoot, long maxExtractedBytes) {
    this(workRoot, maxExtractedBytes, DEFAULT_MAX_ENTRIES, 0);
  }

  /**
   * @param workRoot where loads work ({@code loading/}) and zipped model directories stay unpacked
   *     ({@code unpacked/<sha256>/}), all owner-only; null: a directory in the system's temporary one
   * @param maxExtractedBytes bytes a zipped model directory may unpack to
   * @param maxEntries files it may hold
   */
  public ModelLoader(Path workRoot, long maxExtractedBytes, int maxEntries, int engineThreads) {
    if (maxExtractedBytes <= 0) {
      throw new IllegalArgumentException("maxExtractedBytes must be positive, was " + maxExtractedBytes);
    }
    if (maxEntries <= 0) {
      throw new IllegalArgumentException("maxEntries must be positive, was " + maxEntries);
    }
    if (engineThreads < 0) {
      throw new IllegalArgumentException("engineThreads must not be negative, was " + engineThreads);
    }
    this.workRoot = workRoot;
    this.maxExtractedBytes = maxExtractedBytes;
    this.maxEntries = maxEntries;
    this.engineThreads = engineThreads;
  }

  /**
   * Loads {@code spec}'s artifact onto {@code device}. Every failure is a {@link ModelLoadException}
   * and leaves nothing behind: what was opened is closed, the working directory deleted.
   *
   * <p>The engine reads a private copy of the artifact, hashed while it is written: bytes that
   * differ from the registered SHA-256 are refused, and bytes changed on disk after the check cannot
   * reach the engine. A model that needs more than {@link ModelSpec#sizeBytes()} (what placement
   * admitted) is refused before loading when its archive already says so, and unloaded after
   * loading when the engine holds more.
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
    long started = System.nanoTime();
    Path dir = createWorkDir(spec);
    try {
      // named as the artifact: the reasons of failures below name the file the user knows
      Path copy = dir.resolve(artifact.getFileName().toString());
      String sha256 = copyAndHash(artifact, copy);
      if (spec.sha256() != null && !spec.sha256().equals(sha256)) {
        throw new ModelLoadException("artifact of " + spec.key() + " does not match its sha256 (registered "
            + spec.sha256() + ", the file now holds " + sha256 + "): it was changed after upload and is not loaded");
      }
      Path modelFile = switch (ModelArchive.inspect(copy)) {
        case TORCHSCRIPT -> Files.move(copy, dir.resolve("model.pt"));
        case MODEL_DIRECTORY -> unpacked(spec, sha256, copy, dir);
      };
      long footprint = ModelFootprint.estimate(modelFile, spec.sizeBytes());
      if (footprint > spec.sizeBytes()) {
        throw new ModelLoadException(spec.key() + " needs more than " + spec.sizeBytes() + " bytes once loaded (its"
            + " tensors unpack to more); " + spec.sizeBytes() + " bytes were admitted for it");
      }
      // the verified file the engine is about to read: a model stored before admission existed, or by another path
      ModelAdmission.requireAdmitted(spec.key(), modelFile, workRoot);
      String fileName = modelFile.getFileName().toString();
      String modelName = fileName.substring(0, fileName.length() - ".pt".length());
      // Model.load directly rather than Criteria.loadModel: on an engine failure the latter (DJL
      // 0.35.1 BaseModelLoader) never closes the model it created, leaking an NDManager per failed load
      Model model = Model.newInstance(modelName, device, DjlLoadedModel.ENGINE);
      long resident;
      try {
        // put the weights on the target device, wherever they were saved from
        model.load(modelFile.getParent(), modelName, Map.of("mapLocation", "true"));
        resident = Math.max(footprint, parameterBytes(model));
        if (resident > spec.sizeBytes()) {
          throw new ModelLoadException(spec.key() + " holds " + resident + " bytes once loaded; " + spec.sizeBytes()
              + " bytes were admitted for it, so it is unloaded");
        }
      } catch (Exception | Error e) {
        model.close();
        throw e;
      }
      DjlLoadedModel loaded = new DjlLoadedModel(spec, device, model, engineThreads, resident);
      try {
        GraphWarmUp.warm(loaded);
      } catch (Error e) {
        loaded.close();
        throw e;
      }
      log.info("loaded {} on {} in {} ms, {} bytes resident", spec.key(), device,
          (System.nanoTime() - started) / 1_000_000, resident);
      return loaded;
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

  /** How many zipped model directories this loader has unpacked (each SHA-256 once). */
  public long unpackCount() {
    return unpacks.get();
  }

  /**
   * The model file of a zipped model directory, as a private copy in {@code dir}: unpacked once per
   * SHA-256 into the cache (capped, owner-only), later loads copy the cached {@code .pt} after
   * checking it against the digest taken when it was unpacked.
   */
  private Path unpacked(ModelSpec spec, String sha256, Path zip, Path dir) throws IOException {
    Path root = root().resolve("unpacked");
    Path cache = root.resolve(sha256);
    Path digestFile = root.resolve(sha256 + ".pt-sha256");
    String[] recorded;
    synchronized (unpacking.computeIfAbsent(sha256, s -> new Object())) {
      if (!Files.isRegularFile(digestFile)) {
        PrivateFiles.directory(root);
        deleteRecursively(cache); // a crash between unpacking and recording the digest
        Path staging = Files.createTempDirectory(root, ".unpacking-", PrivateFiles.DIRECTORY);
        try {
          ModelArchive.extract(zip, staging, maxExtractedBytes, maxEntries);
          Path pt = singlePtFile(spec, staging);
          String ptSha256 = hash(pt);
          Files.move(staging, cache, StandardCopyOption.ATOMIC_MOVE);
          Path partial = Files.createTempFile(root, ".digest-", ".part", PrivateFiles.FILE);
          Files.writeString(partial, ptSha256 + " " + staging.relativize(pt) + "\n");
          Files.move(partial, digestFile, StandardCopyOption.ATOMIC_MOVE);
          unpacks.incrementAndGet();
          log.info("unpacked model directory {} of {} once, into {}", sha256, spec.key(), cache);
        } finally {
          if (Files.exists(staging)) {
            deleteRecursively(staging);
          }
        }
      }
      recorded = Files.readString(digestFile).strip().split(" ", 2);
    }
    Path cachedPt = cache.resolve(recorded[1]).normalize();
    if (!cachedPt.startsWith(cache)) {
      throw new ModelLoadException("the unpacked copy of " + spec.key() + " is damaged; it is unpacked again next time");
    }
    Files.delete(zip); // not needed any more, and its name may be the model file's
    Path copy = dir.resolve(cachedPt.getFileName().toString());
    if (!recorded[0].equals(copyAndHash(cachedPt, copy))) {
      Files.deleteIfExists(digestFile);
      throw new ModelLoadException("the unpacked copy of " + spec.key() + " was changed on disk and is not loaded;"
          + " it is unpacked again next time");
    }
    return copy;
  }

  /**
   * The model's parameters as the engine holds them, in bytes (0 when the engine does not say). The
   * engine lists a tied parameter once per name: equal tensors of one shape and type count once.
   */
  private static long parameterBytes(Model model) {
    long total = 0;
    try {
      Map<String, List<NDArray>> distinct = new java.util.HashMap<>();
      for (Pair<String, Parameter> p : model.getBlock().getParameters()) {
        NDArray array = p.getValue().getArray();
        List<NDArray> same = distinct.computeIfAbsent(array.getDataType() + " " + array.getShape(),
            k -> new java.util.ArrayList<>());
        if (same.stream().noneMatch(array::contentEquals)) {
          same.add(array);
          total += array.size() * array.getDataType().getNumOfBytes();
        }
      }
    } catch (RuntimeException e) {
      log.debug("no parameter sizes for {}: {}", model.getName(), e.getMessage());
    }
    return total;
  }

  private Path createWorkDir(ModelSpec spec) {
    try {
      return Files.createTempDirectory(PrivateFiles.directory(root().resolve("loading")), "model-",
          PrivateFiles.DIRECTORY);
    } catch (IOException e) {
      throw new ModelLoadException("no working directory to load " + spec.key() + ": " + e.getMessage(), e);
    }
  }

  /** The loader's own directory: {@code workRoot}, or one made in the system's temporary directory. */
  private synchronized Path root() throws IOException {
    if (root == null) {
      root = workRoot == null
          ? Files.createTempDirectory("modelplane-models-", PrivateFiles.DIRECTORY)
          : PrivateFiles.directory(workRoot);
    }
    return root;
  }

  /** Copies {@code from} to the new owner-only file {@code to}, returning the SHA-256 of the bytes written. */
  private static String copyAndHash(Path from, Path to) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = Files.newInputStream(from);
        OutputStream out = new DigestOutputStream(Files.newOutputStream(Files.createFile(to, PrivateFiles.FILE)),
            digest)) {
      in.transferTo(out);
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static String hash(Path file) throws IOException {
    MessageDigest digest = sha256();
    try (InputStream in = new DigestInputStream(Files.newInputStream(file), digest)) {
      in.transferTo(OutputStream.nullOutputStream());
    }
    return HexFormat.of().formatHex(digest.digest());
  }

  private static MessageDigest sha256() {
    try {
      return MessageDigest.getInstance("SHA-256");
    } catch (NoSuchAlgorithmException e) {
      throw new IllegalStateException("every JDK has SHA-256", e);
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
    } catch (NoSuchFileException e) {
      // nothing to delete
    } catch (IOException | UncheckedIOException e) {
      log.warn("could not delete working directory {}: {}", dir, e.getMessage());
    }
  }
}
