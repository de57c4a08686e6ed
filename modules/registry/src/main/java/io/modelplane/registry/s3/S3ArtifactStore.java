package io.modelplane.registry.s3;

import akka.Done;
import akka.dispatch.Dispatchers;
import akka.stream.Attributes;
import akka.stream.Materializer;
import akka.stream.javadsl.Flow;
import akka.stream.javadsl.Sink;
import akka.stream.javadsl.Source;
import akka.util.ByteString;
import io.modelplane.common.PrivateFiles;
import io.modelplane.common.TenantId;
import io.modelplane.common.tls.OutgoingTrust;
import io.modelplane.registry.Addresses;
import io.modelplane.registry.ArtifactAddress;
import io.modelplane.registry.ArtifactStore;
import io.modelplane.registry.ArtifactStoreException;
import io.modelplane.registry.ArtifactStoreSettings;
import io.modelplane.registry.ArtifactStoreUnavailableException;
import io.modelplane.registry.ArtifactTooLargeException;
import io.modelplane.registry.ChecksumMismatchException;
import io.modelplane.registry.PendingUploads;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.Executor;
import java.util.stream.Stream;
import javax.net.ssl.TrustManager;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import software.amazon.awssdk.http.apache5.Apache5HttpClient;
import software.amazon.awssdk.auth.credentials.AwsCredentialsProvider;
import software.amazon.awssdk.auth.credentials.DefaultCredentialsProvider;
import software.amazon.awssdk.core.exception.SdkException;
import software.amazon.awssdk.core.sync.RequestBody;
import software.amazon.awssdk.core.checksums.RequestChecksumCalculation;
import software.amazon.awssdk.core.checksums.ResponseChecksumValidation;
import software.amazon.awssdk.regions.Region;
import software.amazon.awssdk.services.s3.S3Client;
import software.amazon.awssdk.services.s3.S3ClientBuilder;
import software.amazon.awssdk.services.s3.model.CompletedPart;
import software.amazon.awssdk.services.s3.model.HeadObjectResponse;
import software.amazon.awssdk.services.s3.model.MetadataDirective;
import software.amazon.awssdk.services.s3.model.MultipartUpload;
import software.amazon.awssdk.services.s3.model.NoSuchKeyException;
import software.amazon.awssdk.services.s3.model.S3Exception;
import software.amazon.awssdk.services.s3.model.S3Object;

/**
 * Model artifacts in an S3-compatible bucket, under {@code <prefix>tenants/<tenant>/<sha256>} (older
 * versions kept plaintext under {@code <prefix><sha256>}, the legacy layout). Uploads stream: parts
 * of {@code partBytes} go up one at a time as a multipart upload (an artifact smaller than one part
 * in a single request), hashed on the way, and the address appears only once the bytes are complete
 * and verified: a multipart upload is completed at the address only after the hash checked out, or,
 * when the hash was not known in advance, completed under {@code <prefix>tmp/} and copied to the
 * address. A failed or cut upload is aborted and leaves nothing. Each upload also keeps a local copy
 * (under {@code staging}, 0400, of the stored bytes) for the checks that read the file before the
 * version is registered; it is deleted at {@link #release}.
 */
public final class S3ArtifactStore implements ArtifactStore {
  /** S3 refuses smaller parts (but the last). */
  public static final long MIN_PART_BYTES = 5L * 1024 * 1024;
  /** The largest object one CopyObject may copy; larger ones are copied in parts. */
  private static final long MAX_COPY_BYTES = 5L * 1024 * 1024 * 1024;
  private static final long COPY_PART_BYTES = 512L * 1024 * 1024;
  /** User metadata naming the upload that last stored an address (a refused upload deletes only its own). */
  private static final String UPLOAD_METADATA = "modelplane-upload";
  private static final Logger log = LoggerFactory.getLogger(S3ArtifactStore.class);

  private final S3Client s3;
  private final String bucket;
  private final String prefix;
  private final Path staging;
  private final long maxBytes;
  private final int partBytes;
  // serializes the check-then-create of an address with other commits and deletes of it on this node
  private final Object addressLock = new Object();
  // uploads between store and registration, per address (guarded by addressLock), as in the local store
  private final PendingUploads pending = new PendingUploads();

  /**
   * @param prefix every key starts with it (empty or ending in {@code /})
   * @param staging where uploads keep their local copies; made 0700, leftovers deleted
   */
  public S3ArtifactStore(S3Client s3, String bucket, String prefix, Path staging, long maxBytes, int partBytes) {
    if (maxBytes <= 0) {
      throw new IllegalArgumentException("maxBytes must be positive");
    }
    if (partBytes < MIN_PART_BYTES) {
      throw new IllegalArgumentException("partBytes must be at least " + MIN_PART_BYTES);
    }
    this.s3 = s3;
    this.bucket = bucket;
    this.prefix = prefix;
    this.staging = staging;
    this.maxBytes = maxBytes;
    this.partBytes = partBytes;
    try {
      PrivateFiles.directory(staging);
      try (Stream<Path> leftovers = Files.list(staging)) {
        for (Path leftover : leftovers.toList()) {
          Files.deleteIfExists(leftover); // local copies of uploads a crash cut short
        }
      }
    } catch (IOException e) {
      throw new UncheckedIOException("cannot prepare " + staging + " for artifact uploads", e);
    }
  }

  /**
   * The store of {@code settings}; credentials come from the AWS SDK's default provider chain.
   * Checksums beyond S3's required ones are off: the store verifies every artifact's SHA-256 itself,
   * and not every S3-compatible server knows the newer checksum headers.
   */
  public static S3ArtifactStore open(ArtifactStoreSettings.S3 settings, Path staging, long maxBytes) {
    return open(settings, staging, maxBytes, OutgoingTrust.jdkDefaults());
  }

  /** {@link #open(ArtifactStoreSettings.S3, Path, long)} trusting {@code trust}'s authorities over HTTPS. */
  public static S3ArtifactStore open(ArtifactStoreSettings.S3 settings, Path staging, long maxBytes,
      OutgoingTrust trust) {
    return open(settings, staging, maxBytes, DefaultCredentialsProvider.builder().build(), trust);
  }

  /** {@link #open(ArtifactStoreSettings.S3, Path, long)} with these credentials. */
  public static S3ArtifactStore open(ArtifactStoreSettings.S3 settings, Path staging, long maxBytes,
      AwsCredentialsProvider credentials) {
    return open(settings, staging, maxBytes, credentials, OutgoingTrust.jdkDefaults());
  }

  /** With these credentials and this trust (certificates and host names are always verified). */
  public static S3ArtifactStore open(ArtifactStoreSettings.S3 settings, Path staging, long maxBytes,
      AwsCredentialsProvider credentials, OutgoingTrust trust) {
    S3ClientBuilder builder = S3Client.builder()
        .httpClientBuilder(Apache5HttpClient.builder()
            .tlsTrustManagersProvider(() -> new TrustManager[] {trust.trustManager()}))
        .credentialsProvider(credentials)
        .region(Region.of(settings.region()))
        .forcePathStyle(settings.pathStyle())
        .requestChecksumCalculation(RequestChecksumCalculation.WHEN_REQUIRED)
        .responseChecksumValidation(ResponseChecksumValidation.WHEN_REQUIRED);
    if (!settings.endpoint().isEmpty()) {
      builder.endpointOverride(URI.create(settings.endpoint()));
    }
    log.info("artifacts in bucket {} under '{}'{}", settings.bucket(), settings.prefix(),
        settings.endpoint().isEmpty() ? "" : " at " + settings.endpoint());
    return new S3ArtifactStore(builder.build(), settings.bucket(), settings.prefix(), staging, maxBytes,
        settings.partBytes());
  }

  @Override
  public long maxBytes() {
    return maxBytes;
  }

  @Override
  public CompletionStage<StoredArtifact> store(TenantId tenant, Source<ByteString, ?> bytes, String expectedSha256,
      Flow<ByteString, ByteString, ?> encode, Materializer mat) {
    Executor blockingIo = mat.system().dispatchers().lookup(Dispatchers.DefaultBlockingDispatcherId());
    Upload upload;
    try {
      upload = new Upload(tenant, expectedSha256 != null && isSha256(expectedSha256) ? expectedSha256 : null,
          expectedSha256);
    } catch (IOException e) {
      return CompletableFuture.failedFuture(new UncheckedIOException("cannot create an upload file in " + staging, e));
    }
    CompletionStage<Done> sent;
    try {
      sent = bytes
          .map(chunk -> {
            upload.count(chunk); // fails the stream past the limit: no further bytes are pulled
            return chunk;
          })
          .via(encode)
          // one part gathers while the one before it goes up: at most two parts in memory
          .groupedWeighted(partBytes, chunk -> (long) chunk.size())
          .mapAsync(1, group -> upload.send(group, blockingIo))
          .addAttributes(Attributes.inputBuffer(1, 1))
          .runWith(Sink.ignore(), mat);
    } catch (RuntimeException e) {
      upload.abort();
      return CompletableFuture.failedFuture(e);
    }
    // a failed stream does not wait for the part still going up: finish or abort only after it settled
    return sent.handle((done, failure) -> failure)
        .thenCompose(failure -> upload.sending.handle((ok, partFailure) -> failure))
        .thenApplyAsync(failure -> {
          try {
            if (failure != null) {
              throw Addresses.originalCause(failure);
            }
            return CompletableFuture.completedFuture(upload.finish());
          } catch (Throwable t) {
            upload.abort();
            return CompletableFuture.<StoredArtifact>failedFuture(t instanceof SdkException e
                ? new ArtifactStoreUnavailableException("the artifact store (bucket " + bucket + ") failed: "
                    + e.getMessage(), e)
                : t);
          }
        }, blockingIo).thenCompose(result -> result);
  }

  /** One upload: its digest, its local copy, and its multipart upload once it has more than a part. */
  private final class Upload {
    private final TenantId tenant;
    private final String knownSha256;
    private final String expectedSha256;
    private final String id = UUID.randomUUID().toString();
    private final Path copy;
    private final FileChannel out;
    private final MessageDigest digest = Addresses.newDigest();
    private long size;
    /** the stored (encoded) bytes, which a copy moves */
    private long storedBytes;
    private String key;
    private String uploadId;
    private boolean completed;
    private boolean tempCompleted;
    /** the part going up now (or the last one); set on the stream's thread */
    volatile CompletableFuture<Void> sending = CompletableFuture.completedFuture(null);
    private final List<CompletedPart> parts = new ArrayList<>();
    private ByteString tail = ByteString.emptyByteString();

    /** {@code knownSha256}: the expected hash when well-formed; the multipart upload then goes to that address. */
    Upload(TenantId tenant, String knownSha256, String expectedSha256) throws IOException {
      this.tenant = tenant;
      this.knownSha256 = knownSha256;
      this.expectedSha256 = expectedSha256;
      this.copy = staging.resolve(id + ".part");
      this.out = FileChannel.open(Files.createFile(copy, PrivateFiles.FILE), StandardOpenOption.WRITE);
    }

    /** On the stream's thread, before any part is formed. */
    void count(ByteString chunk) {
      size += chunk.size();
      if (size > maxBytes) {
        throw new ArtifactTooLargeException(maxBytes);
      }
      for (ByteBuffer buffer : chunk.getByteBuffers()) {
        digest.update(buffer);
      }
    }

    CompletableFuture<Void> send(List<ByteString> group, Executor blockingIo) {
      CompletableFuture<Void> part = CompletableFuture.runAsync(() -> part(group), blockingIo);
      sending = part;
      return part;
    }

    /** On the blocking dispatcher, one at a time: a group of chunks, a full part unless it is the last. */
    private void part(List<ByteString> group) {
      ByteString bytes = ByteString.emptyByteString();
      for (ByteString chunk : group) {
        bytes = bytes.concat(chunk);
      }
      storedBytes += bytes.size();
      try {
        for (ByteBuffer buffer : bytes.getByteBuffers()) {
          while (buffer.hasRemaining()) {
            out.write(buffer);
          }
        }
      } catch (IOException e) {
        throw new UncheckedIOException("cannot write the upload's local copy " + copy, e);
      }
      if (bytes.size() < partBytes) {
        tail = bytes; // short: the stream has ended, finish() decides where it goes
        return;
      }
      if (uploadId == null) {
        // the address itself when the hash is known (completed only once it checks out), else a temp key
        key = knownSha256 != null ? addressOf(tenant, knownSha256) : prefix + "tmp/" + id;
        uploadId = s3.createMultipartUpload(b -> b.bucket(bucket).key(key).metadata(Map.of(UPLOAD_METADATA, id)))
            .uploadId();
      }
      uploadPart(bytes);
    }

    private void uploadPart(ByteString bytes) {
      int number = parts.size() + 1;
      String etag = s3.uploadPart(b -> b.bucket(bucket).key(key).uploadId(uploadId).partNumber(number)
          .contentLength((long) bytes.size()), body(bytes)).eTag();
      parts.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
    }

    StoredArtifact finish() throws IOException {
      out.force(true);
      out.close();
      PrivateFiles.setMode(copy, PrivateFiles.READ_ONLY_MODE);
      if (size == 0) {
        throw new ArtifactStoreException("artifact is empty");
      }
      String sha256 = HexFormat.of().formatHex(digest.digest());
      if (expectedSha256 != null && !expectedSha256.equals(sha256)) {
        throw new ChecksumMismatchException(expectedSha256, sha256);
      }
      if (uploadId != null && !tail.isEmpty()) {
        uploadPart(tail);
      }
      String address = addressOf(tenant, sha256);
      if (uploadId != null && !key.equals(address)) {
        complete(); // under its temp key: invisible at the address until copied there
        tempCompleted = true;
      }
      synchronized (addressLock) {
        boolean created;
        if (exists(address)) {
          touch(address); // stored again: an orphan sweep gives it the whole grace period to be registered
          created = false;
          discardRemote();
        } else {
          if (uploadId == null) {
            ByteString whole = tail;
            s3.putObject(b -> b.bucket(bucket).key(address).contentLength((long) whole.size())
                .metadata(Map.of(UPLOAD_METADATA, id)), body(whole));
          } else if (key.equals(address)) {
            complete();
          } else {
            copy(key, address, storedBytes, id);
            deleteObjectQuietly(key);
          }
          created = true;
        }
        pending.stored(new ArtifactAddress(tenant, sha256).toString(), created ? id : null);
        return new StoredArtifact(tenant, sha256, size, copy, created);
      }
    }

    private void complete() {
      s3.completeMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId)
          .multipartUpload(m -> m.parts(parts)));
      completed = true;
    }

    /** Undoes whatever went up (quietly: it runs on failures) and deletes the local copy. */
    void abort() {
      discardRemote();
      try {
        out.close();
      } catch (IOException ignored) {
        // deleted next
      }
      deleteQuietly(copy);
    }

    /** Aborts the multipart upload, or deletes the temp object it completed to. */
    private void discardRemote() {
      try {
        if (uploadId != null && !completed) {
          s3.abortMultipartUpload(b -> b.bucket(bucket).key(key).uploadId(uploadId));
        } else if (tempCompleted) {
          deleteObjectQuietly(key);
        }
      } catch (SdkException e) {
        // the sweep aborts multipart uploads left older than its grace period
        log.warn("could not abort the upload of {}: {}", key, e.getMessage());
      }
      uploadId = null;
      tempCompleted = false;
    }
  }

  @Override
  public Optional<Path> find(TenantId tenant, String sha256) {
    return Optional.empty(); // nothing of the bucket is on this node's disk
  }

  @Override
  public void download(TenantId tenant, String sha256, Path target) throws IOException {
    try (InputStream in = read(tenant, sha256)) {
      Files.copy(in, target);
    } catch (SdkException e) {
      throw new IOException("cannot download artifact " + sha256 + " from bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public InputStream read(TenantId tenant, String sha256) throws IOException {
    if (!isSha256(sha256)) {
      throw new NoSuchFileException("'" + sha256 + "' is no sha256");
    }
    return object(addressOf(tenant, sha256), "artifact " + sha256 + " of tenant " + tenant.value());
  }

  private InputStream object(String key, String what) throws IOException {
    try {
      return s3.getObject(b -> b.bucket(bucket).key(key));
    } catch (NoSuchKeyException e) {
      throw new NoSuchFileException(what + " is not in bucket " + bucket);
    } catch (SdkException e) {
      throw new IOException("cannot read " + what + " from bucket " + bucket + ": " + e.getMessage(), e);
    }
  }

  @Override
  public int deleteTenant(TenantId tenant) {
    int deleted = 0;
    String tenantPrefix = prefix + "tenants/" + tenant.value() + "/";
    synchronized (addressLock) {
      for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(tenantPrefix)).contents()) {
        s3.deleteObject(b -> b.bucket(bucket).key(object.key()));
        deleted++;
      }
    }
    return deleted;
  }

  @Override
  public List<String> legacyArtifacts() {
    List<String> legacy = new ArrayList<>();
    for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix).delimiter("/")).contents()) {
      String name = object.key().substring(prefix.length());
      if (isSha256(name)) {
        legacy.add(name);
      }
    }
    return legacy;
  }

  @Override
  public InputStream readLegacy(String sha256) throws IOException {
    if (!isSha256(sha256)) {
      throw new NoSuchFileException("'" + sha256 + "' is no sha256");
    }
    return object(prefix + sha256, "legacy artifact " + sha256);
  }

  @Override
  public boolean deleteLegacy(String sha256) {
    if (!isSha256(sha256) || !exists(prefix + sha256)) {
      return false;
    }
    s3.deleteObject(b -> b.bucket(bucket).key(prefix + sha256));
    return true;
  }

  @Override
  public void release(StoredArtifact stored, boolean registered) {
    deleteQuietly(stored.path()); // each upload's own local copy
    synchronized (addressLock) {
      String createdBy = pending.released(stored.address().toString(), registered, stored.newlyCreated());
      if (createdBy != null) {
        deleteIfStoredBy(addressOf(stored.tenant(), stored.sha256()), createdBy);
      }
    }
  }

  /** Deletes the address unless an upload elsewhere (another node) stored the same bytes again since. */
  private void deleteIfStoredBy(String key, String uploadId) {
    try {
      HeadObjectResponse head = s3.headObject(b -> b.bucket(bucket).key(key));
      if (uploadId.equals(head.metadata().get(UPLOAD_METADATA))) {
        s3.deleteObject(b -> b.bucket(bucket).key(key));
      }
    } catch (NoSuchKeyException gone) {
      // nothing to undo
    } catch (SdkException e) {
      log.warn("could not delete refused artifact {} (the sweep will): {}", key, e.getMessage());
    }
  }

  @Override
  public boolean delete(TenantId tenant, String sha256) {
    if (!isSha256(sha256)) {
      return false;
    }
    synchronized (addressLock) {
      boolean existed = exists(addressOf(tenant, sha256));
      s3.deleteObject(b -> b.bucket(bucket).key(addressOf(tenant, sha256)));
      return existed;
    }
  }

  @Override
  public List<ArtifactAddress> deleteUnreferenced(Set<ArtifactAddress> referenced, Instant storedBefore) {
    List<ArtifactAddress> deleted = new ArrayList<>();
    for (S3Object object : s3.listObjectsV2Paginator(b -> b.bucket(bucket).prefix(prefix)).contents()) {
      String name = object.key().substring(prefix.length());
      if (name.startsWith("tmp/")) {
        if (object.lastModified().isBefore(storedBefore)) {
          deleteObjectQuietly(object.key()); // an upload's temp object a crash left behind
        }
        continue;
      }
      String[] parts = name.split("/");
      if (parts.length != 3 || !parts[0].equals("tenants") || !TenantId.isValid(parts[1]) || !isSha256(parts[2])) {
        continue; // legacy plaintext is migrated, not swept
      }
      ArtifactAddress address = new ArtifactAddress(new TenantId(parts[1]), parts[2]);
      if (referenced.contains(address) || !object.lastModified().isBefore(storedBefore)) {
        continue;
      }
      synchronized (addressLock) {
        // checked again under the lock: a commit of the same bytes touches the object under it
        Instant modified = lastModified(object.key());
        if (modified != null && modified.isBefore(storedBefore)) {
          s3.deleteObject(b -> b.bucket(bucket).key(object.key()));
          deleted.add(address);
        }
      }
    }
    // multipart uploads a crash cut short: nobody will complete them
    for (MultipartUpload pending : s3.listMultipartUploadsPaginator(b -> b.bucket(bucket).prefix(prefix)).uploads()) {
      if (pending.initiated() != null && pending.initiated().isBefore(storedBefore)) {
        try {
          s3.abortMultipartUpload(b -> b.bucket(bucket).key(pending.key()).uploadId(pending.uploadId()));
        } catch (SdkException e) {
          log.warn("could not abort the stale upload of {}: {}", pending.key(), e.getMessage());
        }
      }
    }
    return deleted;
  }

  /** The SDK client's connections. */
  @Override
  public void close() {
    s3.close();
  }

  private String addressOf(TenantId tenant, String sha256) {
    return prefix + "tenants/" + tenant.value() + "/" + sha256;
  }

  private boolean exists(String key) {
    return lastModified(key) != null;
  }

  private Instant lastModified(String key) {
    try {
      return s3.headObject(b -> b.bucket(bucket).key(key)).lastModified();
    } catch (NoSuchKeyException e) {
      return null;
    } catch (S3Exception e) {
      if (e.statusCode() == 404) {
        return null; // HEAD answers carry no error code to map
      }
      throw e;
    }
  }

  /** Copies in place with new metadata: the object's LastModified becomes now. */
  private void touch(String key) {
    try {
      s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(key).destinationBucket(bucket).destinationKey(key)
          .metadataDirective(MetadataDirective.REPLACE).metadata(Map.of(UPLOAD_METADATA, "again-" + UUID.randomUUID())));
    } catch (SdkException e) {
      // too large to copy in one request, or not allowed: the sweep's grace then counts from the first upload
      log.warn("could not refresh artifact {}: {}", key, e.getMessage());
    }
  }

  private void copy(String from, String to, long size, String uploadId) {
    if (size <= MAX_COPY_BYTES) {
      s3.copyObject(b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket).destinationKey(to)
          .metadataDirective(MetadataDirective.REPLACE).metadata(Map.of(UPLOAD_METADATA, uploadId)));
      return;
    }
    String copyId = s3.createMultipartUpload(b -> b.bucket(bucket).key(to).metadata(Map.of(UPLOAD_METADATA, uploadId)))
        .uploadId();
    try {
      List<CompletedPart> copied = new ArrayList<>();
      for (long start = 0; start < size; start += COPY_PART_BYTES) {
        int number = copied.size() + 1;
        String range = "bytes=" + start + "-" + (Math.min(size, start + COPY_PART_BYTES) - 1);
        String etag = s3.uploadPartCopy(b -> b.sourceBucket(bucket).sourceKey(from).destinationBucket(bucket)
            .destinationKey(to).uploadId(copyId).partNumber(number).copySourceRange(range)).copyPartResult().eTag();
        copied.add(CompletedPart.builder().partNumber(number).eTag(etag).build());
      }
      s3.completeMultipartUpload(b -> b.bucket(bucket).key(to).uploadId(copyId).multipartUpload(m -> m.parts(copied)));
    } catch (RuntimeException e) {
      s3.abortMultipartUpload(b -> b.bucket(bucket).key(to).uploadId(copyId));
      throw e;
    }
  }

  private void deleteObjectQuietly(String key) {
    try {
      s3.deleteObject(b -> b.bucket(bucket).key(key));
    } catch (SdkException e) {
      log.warn("could not delete {} (the sweep will): {}", key, e.getMessage());
    }
  }

  /** A body the SDK can read again on a retry. */
  private static RequestBody body(ByteString bytes) {
    return RequestBody.fromContentProvider(() -> bytes.iterator().asInputStream(), bytes.size(),
        "application/octet-stream");
  }

  private static boolean isSha256(String value) {
    return Addresses.isSha256(value);
  }



  private static void deleteQuietly(Path path) {
    try {
      Files.deleteIfExists(path);
    } catch (IOException ignored) {
      // a leftover in staging is removed at the next start
    }
  }
}
