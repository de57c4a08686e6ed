package io.modelplane.identity;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import org.junit.jupiter.api.Test;

class ApiKeyCredentialTest {

  @Test
  void aGeneratedKeyParsesBackAndNamesItsTenant() {
    ApiKeyCredential key = ApiKeyCredential.generate(TenantId.of("acme-co"));
    assertThat(key.token()).startsWith("mp_acme-co.");
    ApiKeyCredential parsed = ApiKeyCredential.parse(key.token()).orElseThrow();
    assertThat(parsed).isEqualTo(key);
    assertThat(parsed.tenant()).isEqualTo(TenantId.of("acme-co"));
    assertThat(key.toString()).doesNotContain(key.secret());
  }

  @Test
  void keysAreUnique() {
    TenantId t = TenantId.of("acme");
    assertThat(ApiKeyCredential.generate(t)).isNotEqualTo(ApiKeyCredential.generate(t));
  }

  @Test
  void otherStringsAreNotKeys() {
    assertThat(ApiKeyCredential.parse(null)).isEmpty();
    assertThat(ApiKeyCredential.parse("")).isEmpty();
    assertThat(ApiKeyCredential.parse("eyJhbGciOiJSUzI1NiJ9.e30.sig")).isEmpty();
    assertThat(ApiKeyCredential.parse("mp_ACME.abcdefabcdef_" + "0".repeat(64))).isEmpty();
    assertThat(ApiKeyCredential.parse("mp_acme.abcdefabcdef_" + "0".repeat(63))).isEmpty();
  }

  @Test
  void secretsMatchOnlyTheirOwnHash() {
    String hash = Secrets.sha256Hex("s3cret");
    assertThat(hash).hasSize(64).isNotEqualTo("s3cret");
    assertThat(Secrets.matches("s3cret", hash)).isTrue();
    assertThat(Secrets.matches("s3cres", hash)).isFalse();
    assertThat(Secrets.matches(null, hash)).isFalse();
  }

  @Test
  void authenticatorChecksTheSecretAgainstTheStoredHash() {
    ApiKeyCredential key = ApiKeyCredential.generate(TenantId.of("acme"));
    ApiKeyAuthenticator auth = new ApiKeyAuthenticator(k -> CompletableFuture.completedFuture(
        k.keyId().equals(key.keyId())
            ? Optional.of(new ApiKeyAuthenticator.StoredKey(k.keyId(), Role.DEVELOPER, key.secretHash(), true))
            : Optional.empty()));

    Principal p = auth.authenticate(key.token()).toCompletableFuture().join().orElseThrow();
    assertThat(p.role()).isEqualTo(Role.DEVELOPER);
    assertThat(p.tenant()).isEqualTo(TenantId.of("acme"));

    String wrongSecret = "mp_" + key.keyId() + "_" + "f".repeat(64);
    assertThat(auth.authenticate(wrongSecret).toCompletableFuture().join()).isEmpty();
    String unknownKey = ApiKeyCredential.generate(TenantId.of("acme")).token();
    assertThat(auth.authenticate(unknownKey).toCompletableFuture().join()).isEmpty();
  }

  @Test
  void firstOfTakesTheFirstMatch() {
    Authenticator op = new OperatorAuthenticator(Secrets.sha256Hex("root-key"));
    Authenticator never = c -> CompletableFuture.completedFuture(Optional.empty());
    Authenticator chain = Authenticator.firstOf(java.util.List.of(never, op));
    assertThat(chain.authenticate("root-key").toCompletableFuture().join())
        .hasValueSatisfying(p -> assertThat(p.isOperator()).isTrue());
    assertThat(chain.authenticate("root-kez").toCompletableFuture().join()).isEmpty();
  }
}
