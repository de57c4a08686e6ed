package io.modelplane.inference.runtime;

import io.modelplane.common.TensorSpec;
import io.modelplane.common.VersionKey;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.CharacterCodingException;
import java.nio.charset.CodingErrorAction;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Enumeration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;
import java.util.zip.ZipEntry;
import java.util.zip.ZipException;
import java.util.zip.ZipFile;

/**
 * Decides whether a model artifact may be stored and loaded, before any engine touches it: the
 * artifact must be a TorchScript archive (or a zip of a model directory holding exactly one), every
 * code entry may call only tensor operators of {@code aten}/{@code prim} and classes defined in
 * the archive, and every pickle may name only what TorchScript itself writes. File, storage,
 * serialization, custom-operator and class loading are refused by name. Thread-safe.
 */
public final class ModelAdmission {

  /** The outcome of {@link #check}. */
  public sealed interface Decision {
    /** The artifact may be stored and loaded. */
    record Admitted(int codeEntries) implements Decision {}

    /** The archive calls or names something that may touch the server: {@code operator} names the first. */
    record Unsafe(String operator, String reason) implements Decision {}

    /** The artifact is not a loadable TorchScript model (random bytes, truncated, a state dict, ...). */
    record Invalid(String reason) implements Decision {}
  }

  /**
   * Input datatypes predict can hand to the engine: those the codec decodes that DJL's PyTorch
   * engine also takes (INT16 and the wide unsigned types abort it).
   */
  public static final Set<String> INPUT_DATATYPES = Set.of("BOOL", "UINT8", "INT8", "INT32", "INT64", "FP32", "FP64");
  /** Output datatypes predict can return: every Open Inference Protocol datatype except BYTES. */
  public static final Set<String> OUTPUT_DATATYPES = Set.of("BOOL", "UINT8", "UINT16", "UINT32", "UINT64", "INT8",
      "INT16", "INT32", "INT64", "FP16", "FP32", "FP64");

  static final long MAX_CODE_ENTRY_BYTES = 4L * 1024 * 1024;
  static final long MAX_CODE_BYTES = 64L * 1024 * 1024;
  static final long MAX_PICKLE_BYTES = 64L * 1024 * 1024;
  /** The largest .pt inside a model directory zip that is unpacked to be checked. */
  static final long MAX_NESTED_MODEL_BYTES = 4L * 1024 * 1024 * 1024;

  private final Path scratch;

  /** Checks in the system's temporary directory (used only for a .pt inside a model directory). */
  public ModelAdmission() {
    this(null);
  }

  /** Unpacks the .pt of a model directory zip under {@code scratch} (null: the system's temporary directory). */
  public ModelAdmission(Path scratch) {
    this.scratch = scratch;
  }

  /**
   * The first datatype of {@code inputs} or {@code outputs} that predict cannot carry, as a
   * sentence, or null when all are supported.
   */
  public static String datatypeViolation(List<TensorSpec> inputs, List<TensorSpec> outputs) {
    for (TensorSpec t : inputs) {
      if (t != null && !INPUT_DATATYPES.contains(t.datatype())) {
        return "input " + t.name() + " has datatype " + t.datatype() + ", which predict does not accept; use one of "
            + new TreeSet<>(INPUT_DATATYPES);
      }
    }
    for (TensorSpec t : outputs) {
      if (t != null && !OUTPUT_DATATYPES.contains(t.datatype())) {
        return "output " + t.name() + " has datatype " + t.datatype() + ", which predict cannot return; use one of "
            + new TreeSet<>(OUTPUT_DATATYPES);
      }
    }
    return null;
  }

  /**
   * Throws a {@link ModelLoadException} saying why, unless {@code artifact} is admitted; what it
   * unpacks to check goes under {@code scratch} (null: the system's temporary directory).
   */
  static void requireAdmitted(VersionKey key, Path artifact, Path scratch) {
    Decision decision = new ModelAdmission(scratch).check(artifact);
    if (decision instanceof Decision.Unsafe unsafe) {
      throw new ModelLoadException("model " + key + " is refused as unsafe: it uses " + unsafe.operator() + ": "
          + unsafe.reason());
    }
    if (decision instanceof Decision.Invalid invalid) {
      throw new ModelLoadException("model " + key + " cannot be loaded: " + invalid.reason());
    }
  }

  /** Reads {@code artifact} (a stored upload) and decides. Never throws for what the file holds. */
  public Decision check(Path artifact) {
    try {
      return checkFile(artifact, true);
    } catch (Refusal r) {
      return r.decision;
    }
  }

  private Decision checkFile(Path artifact, boolean outer) {
    try (ZipFile zip = new ZipFile(artifact.toFile(), StandardCharsets.UTF_8)) {
      Layout layout = Layout.of(zip, outer);
      if (layout.nestedModel() != null) {
        return checkNested(zip, layout.nestedModel());
      }
      return checkTorchScript(zip, layout.prefix());
    } catch (ZipException e) {
      throw invalid(outer
          ? "the artifact is neither a TorchScript archive nor a zip of a model directory (not a readable zip: random"
              + " bytes or a truncated upload?)"
          : "the .pt file in the model directory is not a readable TorchScript archive");
    } catch (IOException e) {
      // the server's own file: no path, no size in the answer
      throw invalid("the artifact could not be read");
    }
  }

  private Decision checkNested(ZipFile outer, ZipEntry pt) throws IOException {
    Path copy = scratch == null
        ? Files.createTempFile("modelplane-admission-", ".pt")
        : Files.createTempFile(Files.createDirectories(scratch), "modelplane-admission-", ".pt");
    try {
      try (InputStream in = outer.getInputStream(pt); OutputStream out = Files.newOutputStream(copy)) {
        if (copyBounded(in, out, MAX_NESTED_MODEL_BYTES) < 0) {
          throw invalid("the .pt file in the model directory unpacks to more than " + MAX_NESTED_MODEL_BYTES
              + " bytes");
        }
      }
      return checkFile(copy, false);
    } finally {
      Files.deleteIfExists(copy);
    }
  }

  private static Decision checkTorchScript(ZipFile zip, String prefix) throws IOException {
    Map<String, String> sources = new HashMap<>(); // module name -> source, in archive order below
    List<ZipEntry> pickles = new ArrayList<>();
    List<String> order = new ArrayList<>();
    long codeBytes = 0;
    Enumeration<? extends ZipEntry> entries = zip.entries();
    while (entries.hasMoreElements()) {
      ZipEntry entry = entries.nextElement();
      String name = entry.getName();
      if (entry.isDirectory()) {
        continue;
      }
      if (name.endsWith(".pkl") || name.endsWith(".debug_pkl")) {
        pickles.add(entry);
      } else if (name.endsWith(".py")) {
        String module = moduleOf(prefix, name);
        if (module == null) {
          throw invalid("code entry " + name + " is not under " + prefix + "/code/__torch__");
        }
        byte[] bytes = readBounded(zip, entry, MAX_CODE_ENTRY_BYTES, "code entry " + name);
        codeBytes += bytes.length;
        if (codeBytes > MAX_CODE_BYTES) {
          throw invalid("the code entries hold more than " + MAX_CODE_BYTES + " bytes");
        }
        sources.put(module, utf8(name, bytes));
        order.add(module);
      } else if (name.startsWith(prefix + "/code/")) {
        throw invalid("unexpected entry " + name + " among the code entries");
      }
    }
    if (sources.isEmpty()) {
      throw invalid("the archive holds data but no code: a state dict or tensors saved with torch.save, not a"
          + " TorchScript model; save it with torch.jit.script(model).save(path) or torch.jit.trace");
    }
    TorchScriptSource.Definitions defined = TorchScriptSource.definitions(sources);
    for (String module : order) {
      TorchScriptSource.Finding finding = TorchScriptSource.check(module, sources.get(module), defined);
      if (finding != null) {
        throw unsafe(finding.operator(), finding.reason() + " (in " + fileOf(module) + ")");
      }
    }
    for (ZipEntry pickle : pickles) {
      try (InputStream in = zip.getInputStream(pickle)) {
        PickleGlobals.Finding finding = PickleGlobals.check(in, MAX_PICKLE_BYTES, defined);
        if (finding instanceof PickleGlobals.Finding.Forbidden f) {
          throw unsafe(f.name(), pickle.getName() + " names " + f.name() + ", which TorchScript never writes");
        }
        if (finding instanceof PickleGlobals.Finding.Malformed m) {
          throw invalid(pickle.getName() + " is not a valid pickle: " + m.reason());
        }
      }
    }
    return new Decision.Admitted(sources.size());
  }

  /** {@code __torch__.a.b} for {@code <prefix>/code/__torch__/a/b.py}; null outside the code tree. */
  static String moduleOf(String prefix, String entry) {
    String code = prefix + "/code/";
    if (!entry.startsWith(code)) {
      return null;
    }
    String path = entry.substring(code.length(), entry.length() - ".py".length());
    if (!path.equals("__torch__") && !path.startsWith("__torch__/")) {
      return null;
    }
    for (String part : path.split("/", -1)) {
      if (!part.matches("[A-Za-z_][A-Za-z0-9_]*")) {
        return null;
      }
    }
    return path.replace('/', '.');
  }

  private static String fileOf(String module) {
    return "code/" + module.replace('.', '/') + ".py";
  }

  private static String utf8(String name, byte[] bytes) {
    try {
      return StandardCharsets.UTF_8.newDecoder()
          .onMalformedInput(CodingErrorAction.REPORT)
          .onUnmappableCharacter(CodingErrorAction.REPORT)
          .decode(ByteBuffer.wrap(bytes))
          .toString();
    } catch (CharacterCodingException e) {
      throw invalid("code entry " + name + " is not UTF-8 text");
    }
  }

  private static byte[] readBounded(ZipFile zip, ZipEntry entry, long max, String what) throws IOException {
    try (InputStream in = zip.getInputStream(entry)) {
      byte[] bytes = in.readNBytes((int) max + 1);
      if (bytes.length > max) {
        throw invalid(what + " is larger than " + max + " bytes");
      }
      return bytes;
    }
  }

  /** Copies at most {@code max} bytes; -1 when there were more. */
  private static long copyBounded(InputStream in, OutputStream out, long max) throws IOException {
    byte[] buffer = new byte[64 * 1024];
    long total = 0;
    int n;
    while ((n = in.read(buffer)) > 0) {
      total += n;
      if (total > max) {
        return -1;
      }
      out.write(buffer, 0, n);
    }
    return total;
  }

  /** Where the model is in the zip: a TorchScript prefix, or the one .pt of a model directory. */
  private record Layout(String prefix, ZipEntry nestedModel) {
    static Layout of(ZipFile zip, boolean outer) {
      Set<String> dataPkl = new LinkedHashSet<>();
      Set<String> versions = new LinkedHashSet<>();
      List<ZipEntry> pts = new ArrayList<>();
      Set<String> names = new HashSet<>();
      int count = 0;
      Enumeration<? extends ZipEntry> entries = zip.entries();
      while (entries.hasMoreElements()) {
        ZipEntry entry = entries.nextElement();
        if (++count > ModelArchive.MAX_ENTRIES) {
          throw invalid("the archive has more than " + ModelArchive.MAX_ENTRIES + " entries");
        }
        String name = entry.getName();
        if (!names.add(name)) {
          // readers disagree on which of two same-named entries they take: this one and the engine's
          throw invalid("the archive holds two entries named " + name);
        }
        if (name.startsWith("/") || name.contains("\\") || ("/" + name + "/").contains("/../")) {
          throw invalid("archive entry '" + name + "' points outside the model directory");
        }
        int slash = name.indexOf('/');
        boolean oneLevelDeep = slash > 0 && name.indexOf('/', slash + 1) < 0;
        if (oneLevelDeep && name.endsWith("/data.pkl")) {
          dataPkl.add(name.substring(0, slash));
        }
        // torch writes <prefix>/version, or <prefix>/.data/version for some models
        if (oneLevelDeep && name.endsWith("/version") || slash > 0 && name.substring(slash).equals("/.data/version")) {
          versions.add(name.substring(0, slash));
        }
        if (!entry.isDirectory() && name.endsWith(".pt")) {
          pts.add(entry);
        }
      }
      if (!dataPkl.isEmpty()) {
        if (dataPkl.size() > 1) {
          throw invalid("the archive holds more than one model (" + dataPkl.size() + " data.pkl entries)");
        }
        String prefix = dataPkl.iterator().next();
        if (!versions.contains(prefix)) {
          throw invalid("the TorchScript archive has no " + prefix + "/version entry");
        }
        return new Layout(prefix, null);
      }
      if (outer && pts.size() == 1) {
        return new Layout(null, pts.get(0));
      }
      if (outer && pts.size() > 1) {
        throw invalid("a model directory must hold exactly one .pt file, holds " + pts.size());
      }
      throw invalid(outer
          ? "the artifact is a zip but neither a TorchScript archive (no <prefix>/data.pkl and <prefix>/version) nor"
              + " a model directory (no .pt file)"
          : "the .pt file in the model directory is not a TorchScript archive");
    }
  }

  private static Refusal invalid(String reason) {
    return new Refusal(new Decision.Invalid(reason));
  }

  private static Refusal unsafe(String operator, String reason) {
    return new Refusal(new Decision.Unsafe(operator, reason));
  }

  /** Ends the check early with a decision; an answer, not a fault, so no stack trace. */
  private static final class Refusal extends RuntimeException {
    final transient Decision decision;

    Refusal(Decision decision) {
      super(null, null, false, false);
      this.decision = decision;
    }
  }
}
