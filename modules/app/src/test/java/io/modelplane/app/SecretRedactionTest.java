package io.modelplane.app;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.LoggerContext;
import ch.qos.logback.classic.PatternLayout;
import ch.qos.logback.classic.spi.LoggingEvent;
import io.modelplane.common.TenantId;
import io.modelplane.identity.ApiKeyCredential;
import org.junit.jupiter.api.Test;

class SecretRedactionTest {
  final ApiKeyCredential key = ApiKeyCredential.generate(TenantId.of("acme"));
  final String jwt = "eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ4In0.c2lnbmF0dXJlLWJ5dGVz";

  @Test
  void masksKeysTokensAndCredentialHeadersButKeepsTheKeyId() {
    String line = SecretRedaction.redact("Illegal 'authorization' header: Bearer " + key.token() + ", then "
        + key.token() + " and " + jwt + " and mp_operator_0123456789abcdef and Basic dXNlcjpwYXNz");
    assertThat(line).doesNotContain(key.secret(), jwt, "0123456789abcdef", "dXNlcjpwYXNz").contains(key.keyId());
    assertThat(SecretRedaction.redact("Cookie: session=abc; x=y")).isEqualTo("Cookie: ***");
    assertThat(SecretRedaction.redact("loaded acme/digits:1 in 12 ms")).isEqualTo("loaded acme/digits:1 in 12 ms");
  }

  @Test
  void theLogPatternMasksMessagesAndExceptions() {
    LoggerContext context = new LoggerContext();
    context.putObject(ch.qos.logback.core.CoreConstants.PATTERN_RULE_REGISTRY, new java.util.HashMap<>(java.util.Map.of(
        "msg", SecretRedaction.Message.class.getName(), "ex", SecretRedaction.Thrown.class.getName())));
    PatternLayout layout = new PatternLayout();
    layout.setContext(context);
    layout.setPattern("%msg%n%ex");
    layout.start();
    LoggingEvent event = new LoggingEvent("x", context.getLogger("x"), Level.WARN, "header {} refused",
        new IllegalStateException("bad " + key.token()), new Object[] {"Bearer " + key.token()});
    assertThat(layout.doLayout(event)).contains("header", "IllegalStateException").doesNotContain(key.secret());
  }
}
