package io.modelplane.common.crypto;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.SecureRandom;
import java.util.Arrays;
import javax.crypto.AEADBadTagException;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.GCMParameterSpec;
import javax.crypto.spec.SecretKeySpec;

/**
 * The format of an encrypted artifact (streaming AES-256-GCM in segments). A header (magic, format
 * version, segment size, random salt, random nonce prefix, the data key's id) is followed by segments
 * of {@link #SEGMENT_BYTES} plaintext, each sealed with its own 16-byte tag under a per-file key
 * (HKDF-SHA256 of the data key and the salt). A segment's nonce is the prefix, its number and a flag
 * set on the last one, and the whole header is its associated data: a changed byte, a reordered or
 * dropped segment, a cut end or a changed header all fail a tag. Memory use is one segment.
 */
public final class ArtifactCipher {
  /** Plaintext bytes per segment. */
  public static final int SEGMENT_BYTES = 256 * 1024;
  private static final int TAG_BYTES = 16;
  private static final byte[] MAGIC = {'M', 'P', 'A', 'E'};
  private static final byte VERSION = 1;
  private static final int SALT_BYTES = 16;
  private static final int PREFIX_BYTES = 7;
  /** Magic, version, segment size, salt, nonce prefix, key id length; the key id follows. */
  public static final int FIXED_HEADER_BYTES = MAGIC.length + 1 + 4 + SALT_BYTES + PREFIX_BYTES + 1;
  private static final byte[] INFO = "modelplane artifact v1".getBytes(StandardCharsets.US_ASCII);
  private static final SecureRandom RANDOM = new SecureRandom();

  private ArtifactCipher() {}

  /** Starts encrypting one artifact under {@code key}: a fresh salt and nonce prefix. */
  public static Encrypter encrypter(ArtifactKey key) {
    byte[] salt = new byte[SALT_BYTES];
    byte[] prefix = new byte[PREFIX_BYTES];
    RANDOM.nextBytes(salt);
    RANDOM.nextBytes(prefix);
    byte[] id = key.id().getBytes(StandardCharsets.UTF_8);
    ByteBuffer header = ByteBuffer.allocate(FIXED_HEADER_BYTES + id.length);
    header.put(MAGIC).put(VERSION).putInt(SEGMENT_BYTES).put(salt).put(prefix).put((byte) id.length).put(id);
    return new Encrypter(header.array(), fileKey(key, salt), prefix);
  }

  /** The whole header's length, given its first {@link #FIXED_HEADER_BYTES} bytes. */
  public static int headerLength(byte[] start) {
    checkFixedHeader(start);
    return FIXED_HEADER_BYTES + (start[FIXED_HEADER_BYTES - 1] & 0xff);
  }

  /** The id of the data key an artifact with this header was encrypted under. */
  public static String keyIdOf(byte[] header) {
    int length = headerLength(header);
    if (header.length < length) {
      throw new ArtifactDecryptionException("the encrypted artifact's header is cut short");
    }
    return new String(header, FIXED_HEADER_BYTES, length - FIXED_HEADER_BYTES, StandardCharsets.UTF_8);
  }

  /** Starts decrypting the artifact with this {@code header} (complete, see {@link #headerLength}). */
  public static Decrypter decrypter(ArtifactKey key, byte[] header) {
    String keyId = keyIdOf(header);
    if (!keyId.equals(key.id())) {
      throw new ArtifactDecryptionException("the artifact was encrypted under data key " + keyId
          + ", not under the tenant's current data key " + key.id() + " (destroyed and created again?)");
    }
    int segmentBytes = ByteBuffer.wrap(header, MAGIC.length + 1, 4).getInt();
    byte[] salt = Arrays.copyOfRange(header, MAGIC.length + 5, MAGIC.length + 5 + SALT_BYTES);
    byte[] prefix = Arrays.copyOfRange(header, MAGIC.length + 5 + SALT_BYTES, FIXED_HEADER_BYTES - 1);
    return new Decrypter(header.clone(), fileKey(key, salt), prefix, segmentBytes);
  }

  private static void checkFixedHeader(byte[] start) {
    if (start.length < FIXED_HEADER_BYTES || !Arrays.equals(start, 0, MAGIC.length, MAGIC, 0, MAGIC.length)) {
      throw new ArtifactDecryptionException("the stored artifact is not in the encrypted artifact format"
          + " (or is cut short before the end of its header)");
    }
    if (start[MAGIC.length] != VERSION) {
      throw new ArtifactDecryptionException("the stored artifact has encryption format version "
          + start[MAGIC.length] + "; this node reads version " + VERSION);
    }
    int segmentBytes = ByteBuffer.wrap(start, MAGIC.length + 1, 4).getInt();
    if (segmentBytes < 1024 || segmentBytes > 16 * 1024 * 1024) {
      throw new ArtifactDecryptionException("the stored artifact's header is damaged (segment size " + segmentBytes + ")");
    }
  }

  /** Seals one artifact's segments in order; not thread-safe. */
  public static final class Encrypter {
    private final byte[] header;
    private final SecretKeySpec fileKey;
    private final byte[] prefix;
    private final Cipher cipher = gcm();
    private int segment;
    private boolean finished;

    private Encrypter(byte[] header, SecretKeySpec fileKey, byte[] prefix) {
      this.header = header;
      this.fileKey = fileKey;
      this.prefix = prefix;
    }

    public byte[] header() {
      return header.clone();
    }

    /** The next segment sealed: at most {@link #SEGMENT_BYTES}; a full one unless {@code last}. */
    public byte[] seal(byte[] plain, int offset, int length, boolean last) {
      if (finished) {
        throw new IllegalStateException("the last segment was sealed already");
      }
      if (length > SEGMENT_BYTES || (!last && length != SEGMENT_BYTES)) {
        throw new IllegalArgumentException("a segment other than the last is exactly " + SEGMENT_BYTES + " bytes");
      }
      finished = last;
      try {
        cipher.init(Cipher.ENCRYPT_MODE, fileKey, new GCMParameterSpec(TAG_BYTES * 8, nonce(prefix, segment++, last)));
        cipher.updateAAD(header);
        return cipher.doFinal(plain, offset, length);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM failed", e);
      }
    }
  }

  /** Opens one artifact's segments in order; not thread-safe. */
  public static final class Decrypter {
    private final byte[] header;
    private final SecretKeySpec fileKey;
    private final byte[] prefix;
    private final int segmentBytes;
    private final Cipher cipher = gcm();
    private int segment;
    private boolean finished;

    private Decrypter(byte[] header, SecretKeySpec fileKey, byte[] prefix, int segmentBytes) {
      this.header = header;
      this.fileKey = fileKey;
      this.prefix = prefix;
      this.segmentBytes = segmentBytes;
    }

    /** Bytes of one sealed segment but the last (which may be shorter). */
    public int sealedSegmentBytes() {
      return segmentBytes + TAG_BYTES;
    }

    /** The next segment's plaintext; fails when it was changed, moved, cut, or the key is not the one used. */
    public byte[] open(byte[] sealed, int offset, int length, boolean last) {
      if (finished) {
        throw new ArtifactDecryptionException("the encrypted artifact has bytes after its last segment");
      }
      if (length < TAG_BYTES || length > sealedSegmentBytes() || (!last && length != sealedSegmentBytes())) {
        throw new ArtifactDecryptionException("the encrypted artifact is cut short or damaged (segment " + segment + ")");
      }
      finished = last;
      int number = segment++;
      try {
        cipher.init(Cipher.DECRYPT_MODE, fileKey, new GCMParameterSpec(TAG_BYTES * 8, nonce(prefix, number, last)));
        cipher.updateAAD(header);
        return cipher.doFinal(sealed, offset, length);
      } catch (AEADBadTagException e) {
        throw new ArtifactDecryptionException(number == 0
            ? "the artifact does not decrypt: the data key is not the one it was encrypted under, or the stored"
                + " bytes were changed or cut short (authentication tag of segment 0 does not match)"
            : "the artifact's stored bytes were changed, reordered or cut short (authentication tag of segment "
                + number + " does not match)", e);
      } catch (GeneralSecurityException e) {
        throw new IllegalStateException("AES-GCM failed", e);
      }
    }

    public boolean finished() {
      return finished;
    }
  }

  /** Encrypts {@code in} to {@code out} under {@code key}; the plaintext bytes read. Blocks. */
  public static long encrypt(InputStream in, OutputStream out, ArtifactKey key) throws IOException {
    Encrypter encrypter = encrypter(key);
    out.write(encrypter.header());
    byte[] current = in.readNBytes(SEGMENT_BYTES);
    long total = current.length;
    while (true) {
      byte[] next = current.length == SEGMENT_BYTES ? in.readNBytes(SEGMENT_BYTES) : new byte[0];
      boolean last = next.length == 0;
      out.write(encrypter.seal(current, 0, current.length, last));
      if (last) {
        return total;
      }
      total += next.length;
      current = next;
    }
  }

  /**
   * Decrypts {@code in} (an encrypted artifact) to {@code out} with {@code key}: the plaintext bytes
   * written. Blocks; fails with {@link ArtifactDecryptionException} on any mismatch (then what was
   * written to {@code out} must be discarded).
   */
  public static long decrypt(InputStream in, OutputStream out, ArtifactKey key) throws IOException {
    byte[] fixed = in.readNBytes(FIXED_HEADER_BYTES);
    byte[] header = Arrays.copyOf(fixed, headerLength(fixed));
    int rest = header.length - FIXED_HEADER_BYTES;
    if (in.readNBytes(header, FIXED_HEADER_BYTES, rest) != rest) {
      throw new ArtifactDecryptionException("the encrypted artifact's header is cut short");
    }
    Decrypter decrypter = decrypter(key, header);
    byte[] current = in.readNBytes(decrypter.sealedSegmentBytes());
    long total = 0;
    while (true) {
      byte[] next = current.length == decrypter.sealedSegmentBytes()
          ? in.readNBytes(decrypter.sealedSegmentBytes()) : new byte[0];
      boolean last = next.length == 0;
      byte[] plain = decrypter.open(current, 0, current.length, last);
      out.write(plain);
      total += plain.length;
      if (last) {
        return total;
      }
      current = next;
    }
  }

  private static byte[] nonce(byte[] prefix, int segment, boolean last) {
    return ByteBuffer.allocate(12).put(prefix).putInt(segment).put((byte) (last ? 1 : 0)).array();
  }

  /** HKDF-SHA256 (RFC 5869) of the data key with the file's salt: a fresh AES-256 key per artifact. */
  private static SecretKeySpec fileKey(ArtifactKey key, byte[] salt) {
    try {
      Mac mac = Mac.getInstance("HmacSHA256");
      mac.init(new SecretKeySpec(salt, "HmacSHA256"));
      byte[] keyBytes = key.bytes();
      byte[] prk = mac.doFinal(keyBytes);
      Arrays.fill(keyBytes, (byte) 0);
      mac.init(new SecretKeySpec(prk, "HmacSHA256"));
      mac.update(INFO);
      mac.update((byte) 1);
      byte[] okm = mac.doFinal();
      Arrays.fill(prk, (byte) 0);
      return new SecretKeySpec(okm, "AES");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has HmacSHA256", e);
    }
  }

  private static Cipher gcm() {
    try {
      return Cipher.getInstance("AES/GCM/NoPadding");
    } catch (GeneralSecurityException e) {
      throw new IllegalStateException("every JDK has AES/GCM", e);
    }
  }
}
