package io.modelplane.registry.crypto;

import akka.NotUsed;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import akka.util.ByteStringBuilder;
import io.modelplane.common.crypto.ArtifactCipher;
import io.modelplane.common.crypto.ArtifactDecryptionException;
import io.modelplane.common.crypto.ArtifactKey;
import java.util.Arrays;
import java.util.function.Supplier;

/** {@link ArtifactCipher} as stream stages: memory is one segment whatever the artifact's size. */
public final class ArtifactStreams {
  private ArtifactStreams() {}

  /** Plaintext in, the encrypted artifact (header, sealed segments) out. */
  public static Flow<ByteString, ByteString, NotUsed> encrypt(ArtifactKey key) {
    return perStream(() -> {
      Sealing state = new Sealing(ArtifactCipher.encrypter(key));
      return Flow.<ByteString>create().map(state::add)
          .concatLazy(Source.lazySource(() -> Source.single(state.finish())));
    });
  }

  /** The encrypted artifact in, plaintext out; fails with {@link ArtifactDecryptionException} on any mismatch. */
  public static Flow<ByteString, ByteString, NotUsed> decrypt(ArtifactKey key) {
    return perStream(() -> {
      Opening state = new Opening(key);
      return Flow.<ByteString>create().map(state::add)
          .concatLazy(Source.lazySource(() -> Source.single(state.finish())));
    });
  }

  /**
   * A flow whose state is made anew for each run. The last segment comes from a source concatenated
   * after the input completed, so a failed input fails the stream with its own error.
   */
  static Flow<ByteString, ByteString, NotUsed> perStream(Supplier<Flow<ByteString, ByteString, NotUsed>> make) {
    return Flow.<ByteString, ByteString, NotUsed>fromMaterializer((mat, attributes) -> make.get())
        .mapMaterializedValue(m -> NotUsed.getInstance());
  }

  /**
   * Copies {@code bytes} from {@code offset} into {@code segment} (holding {@code filled} bytes),
   * running {@code full} for a full segment only once more bytes follow: the last segment, which
   * carries the last flag, waits for the end. The bytes the segment holds afterwards.
   */
  private static int fill(byte[] segment, int filled, byte[] bytes, int offset, Runnable full) {
    while (offset < bytes.length) {
      if (filled == segment.length) {
        full.run();
        filled = 0;
      }
      int n = Math.min(segment.length - filled, bytes.length - offset);
      System.arraycopy(bytes, offset, segment, filled, n);
      filled += n;
      offset += n;
    }
    return filled;
  }

  private static final class Sealing {
    private final ArtifactCipher.Encrypter encrypter;
    private final byte[] segment = new byte[ArtifactCipher.SEGMENT_BYTES];
    private int filled;
    private boolean headerOut;

    Sealing(ArtifactCipher.Encrypter encrypter) {
      this.encrypter = encrypter;
    }

    ByteString add(ByteString chunk) {
      ByteStringBuilder out = start();
      filled = fill(segment, filled, chunk.toArray(), 0,
          () -> out.putBytes(encrypter.seal(segment, 0, segment.length, false)));
      return out.result();
    }

    ByteString finish() {
      ByteStringBuilder out = start();
      out.putBytes(encrypter.seal(segment, 0, filled, true));
      Arrays.fill(segment, (byte) 0);
      return out.result();
    }

    private ByteStringBuilder start() {
      ByteStringBuilder out = new ByteStringBuilder();
      if (!headerOut) {
        out.putBytes(encrypter.header());
        headerOut = true;
      }
      return out;
    }
  }

  private static final class Opening {
    private final ArtifactKey key;
    private byte[] header = new byte[ArtifactCipher.FIXED_HEADER_BYTES];
    private int headerFilled;
    private boolean headerComplete;
    private ArtifactCipher.Decrypter decrypter;
    private byte[] segment;
    private int filled;

    Opening(ArtifactKey key) {
      this.key = key;
    }

    ByteString add(ByteString chunk) {
      ByteStringBuilder out = new ByteStringBuilder();
      byte[] bytes = chunk.toArray();
      int offset = 0;
      while (!headerComplete && offset < bytes.length) {
        int n = Math.min(header.length - headerFilled, bytes.length - offset);
        System.arraycopy(bytes, offset, header, headerFilled, n);
        headerFilled += n;
        offset += n;
        if (headerFilled < header.length) {
          continue;
        }
        if (header.length == ArtifactCipher.FIXED_HEADER_BYTES
            && ArtifactCipher.headerLength(header) > header.length) {
          header = Arrays.copyOf(header, ArtifactCipher.headerLength(header)); // then the key id
          continue;
        }
        headerComplete = true;
        decrypter = ArtifactCipher.decrypter(key, header);
        segment = new byte[decrypter.sealedSegmentBytes()];
      }
      if (headerComplete) {
        filled = fill(segment, filled, bytes, offset,
            () -> out.putBytes(decrypter.open(segment, 0, segment.length, false)));
      }
      return out.result();
    }

    ByteString finish() {
      if (!headerComplete) {
        throw new ArtifactDecryptionException("the encrypted artifact is cut short before the end of its header");
      }
      return ByteString.fromArray(decrypter.open(segment, 0, filled, true));
    }
  }
}
