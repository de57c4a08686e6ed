package io.modelplane.inference.runtime;

import com.fasterxml.jackson.databind.JsonNode;
import io.modelplane.common.VersionKey;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelplane.common.TensorSpec;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.ByteOrder;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.zip.CRC32;
import java.util.zip.ZipEntry;
import java.util.zip.ZipFile;
import java.util.zip.ZipOutputStream;

/** The committed demo model (digits MLP, FP32 [-1,64] -> logits FP32 [-1,10]) and its held-out samples. */
final class Digits {

  static final String RESOURCES = "/io/modelplane/inference/demo/";
  static final List<TensorSpec> INPUTS = List.of(new TensorSpec("input", "FP32", List.of(-1L, 64L)));
  static final List<TensorSpec> OUTPUTS = List.of(new TensorSpec("logits", "FP32", List.of(-1L, 10L)));

  private static HeldOut heldOut;

  /** The held-out samples: 360 rows of 64 pixels (0..1) and their labels. */
  record HeldOut(float[][] inputs, int[] labels) {}

  private Digits() {}

  /** Copies digits.pt into {@code dir} as the artifact store does: named by hash, no extension. */
  static Path copyModel(Path dir) {
    return copy("digits.pt", dir.resolve("0f3a9c-digits-sha256"));
  }

  /**
   * digits.pt with the last layer's first bias raised by {@code seed} millionths, stored as {@code target}: an
   * artifact of its own (own bytes and sha256) whose logit 0 is that much higher than the original's.
   */
  static Path distinct(Path target, int seed) {
    Path original = target.resolveSibling(target.getFileName() + ".original");
    copy("digits.pt", original);
    // ZipFile, not ZipInputStream: torch.save writes stored entries with data descriptors
    try (ZipFile source = new ZipFile(original.toFile());
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        ZipOutputStream zip = new ZipOutputStream(bytes)) {
      for (ZipEntry entry : java.util.Collections.list(source.entries())) {
        byte[] data;
        try (InputStream in = source.getInputStream(entry)) {
          data = in.readAllBytes();
        }
        if (entry.getName().endsWith("/data/5")) {
          ByteBuffer bias = ByteBuffer.wrap(data).order(ByteOrder.LITTLE_ENDIAN);
          bias.putFloat(0, bias.getFloat(0) + seed * 1e-6f);
        }
        ZipEntry copy = new ZipEntry(entry.getName());
        if (entry.getMethod() == ZipEntry.STORED) {
          // tensors stay stored, as torch.save wrote them
          CRC32 crc = new CRC32();
          crc.update(data);
          copy.setMethod(ZipEntry.STORED);
          copy.setSize(data.length);
          copy.setCompressedSize(data.length);
          copy.setCrc(crc.getValue());
        }
        zip.putNextEntry(copy);
        zip.write(data);
        zip.closeEntry();
      }
      zip.finish();
      Files.write(target, bytes.toByteArray());
      Files.delete(original);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static Path copy(String resource, Path target) {
    try (InputStream in = Digits.class.getResourceAsStream(RESOURCES + resource)) {
      Files.createDirectories(target.getParent());
      Files.copy(in, target);
      return target;
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static ModelSpec spec(VersionKey key, Path artifact) {
    try {
      return new ModelSpec(key, artifact, "torchscript", INPUTS, OUTPUTS, Files.size(artifact));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }

  static synchronized HeldOut heldOut() {
    if (heldOut == null) {
      try (InputStream in = Digits.class.getResourceAsStream(RESOURCES + "digits-heldout.json")) {
        JsonNode json = new ObjectMapper().readTree(in);
        JsonNode rows = json.get("inputs");
        float[][] inputs = new float[rows.size()][64];
        int[] labels = new int[rows.size()];
        for (int i = 0; i < rows.size(); i++) {
          for (int j = 0; j < 64; j++) {
            inputs[i][j] = rows.get(i).get(j).floatValue();
          }
          labels[i] = json.get("labels").get(i).intValue();
        }
        heldOut = new HeldOut(inputs, labels);
      } catch (IOException e) {
        throw new UncheckedIOException(e);
      }
    }
    return heldOut;
  }

  /** An FP32 tensor of the given rows. */
  static Tensor fp32(String name, float[]... rows) {
    int width = rows[0].length;
    ByteBuffer data = ByteBuffer.allocate(rows.length * width * 4).order(ByteOrder.LITTLE_ENDIAN);
    for (float[] row : rows) {
      for (float v : row) {
        data.putFloat(v);
      }
    }
    return new Tensor(name, "FP32", new long[] {rows.length, width}, data.array());
  }

  static Tensor input(float[]... rows) {
    return fp32("input", rows);
  }

  static float[] floats(Tensor t) {
    ByteBuffer data = ByteBuffer.wrap(t.data()).order(ByteOrder.LITTLE_ENDIAN);
    float[] values = new float[t.data().length / 4];
    for (int i = 0; i < values.length; i++) {
      values[i] = data.getFloat();
    }
    return values;
  }

  /** The predicted class of each row of a [n, 10] logits tensor. */
  static int[] argmax(Tensor logits) {
    float[] v = floats(logits);
    int classes = (int) logits.shape()[1];
    int[] best = new int[(int) logits.shape()[0]];
    for (int r = 0; r < best.length; r++) {
      for (int c = 1; c < classes; c++) {
        if (v[r * classes + c] > v[r * classes + best[r]]) {
          best[r] = c;
        }
      }
    }
    return best;
  }
}
