package io.modelplane.app;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.util.Random;
import java.util.zip.ZipEntry;
import java.util.zip.ZipOutputStream;

/**
 * Real models to upload (uploads are admitted: random bytes are refused): the demo digits model,
 * and distinct copies of it as zipped model directories padded with seeded bytes.
 */
final class TestModels {
  private static final String DIGITS = "/io/modelplane/inference/demo/digits.pt";

  private TestModels() {}

  /** The demo digits model (FP32 [-1, 64] -> FP32 [-1, 10]). */
  static byte[] digits() {
    return resource(DIGITS);
  }

  /** A committed test model under io/modelplane/app/models/. */
  static byte[] model(String name) {
    return resource("/io/modelplane/app/models/" + name);
  }

  /**
   * The digits model in a zipped model directory with {@code paddingBytes} seeded random bytes
   * beside it: loads like digits.pt, with a sha256 of its own per seed.
   */
  static byte[] distinct(int paddingBytes, long seed) {
    byte[] padding = new byte[paddingBytes];
    new Random(seed).nextBytes(padding);
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry("digits/digits.pt"));
      zip.write(digits());
      zip.putNextEntry(new ZipEntry("digits/padding.bin"));
      zip.write(padding);
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  /** A TorchScript-shaped archive admission lets through (harmless code) that the engine cannot load. */
  static byte[] admittedButBroken() {
    ByteArrayOutputStream bytes = new ByteArrayOutputStream();
    try (ZipOutputStream zip = new ZipOutputStream(bytes)) {
      zip.putNextEntry(new ZipEntry("m/data.pkl"));
      zip.write(new byte[] {(byte) 0x80, 2, '}', '.'}); // an empty dict, not a module
      zip.putNextEntry(new ZipEntry("m/version"));
      zip.write("3\n".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
      zip.putNextEntry(new ZipEntry("m/code/__torch__.py"));
      zip.write("class M(Module):\n  def forward(self".getBytes(java.nio.charset.StandardCharsets.US_ASCII));
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
    return bytes.toByteArray();
  }

  private static byte[] resource(String name) {
    try (InputStream in = TestModels.class.getResourceAsStream(name)) {
      if (in == null) {
        throw new IllegalStateException("no test resource " + name);
      }
      return in.readAllBytes();
    } catch (IOException e) {
      throw new UncheckedIOException(e);
    }
  }
}
