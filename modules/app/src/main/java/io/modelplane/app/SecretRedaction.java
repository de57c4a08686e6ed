package io.modelplane.app;

import ch.qos.logback.classic.pattern.MessageConverter;
import ch.qos.logback.classic.pattern.ThrowableProxyConverter;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import java.util.regex.Pattern;

/**
 * Masks credentials in every log line, whatever logged them (our code, akka-http, a driver): API
 * keys' secrets, bearer and basic credentials, JWT-shaped tokens and the values of credential
 * headers. The last line of defence: nothing should log a credential in the first place.
 */
public final class SecretRedaction {
  // mp_<tenant>.<random>_<secret>: the key id may be shown, the secret never
  private static final Pattern API_KEY = Pattern.compile("(mp_[a-z0-9-]{1,40}\\.[a-z0-9]{1,12})_[0-9A-Za-z]+");
  // operator keys and anything else mp_-shaped
  private static final Pattern MP_TOKEN =
      Pattern.compile("\\bmp_(?![a-z0-9-]{1,40}\\.[a-z0-9]{1,12}_\\*\\*\\*)[A-Za-z0-9_.~+/=-]{6,}");
  private static final Pattern JWT = Pattern.compile("\\beyJ[A-Za-z0-9_-]{4,}\\.[A-Za-z0-9_-]{4,}(\\.[A-Za-z0-9_-]*)?");
  private static final Pattern SCHEME = Pattern.compile("(?i)\\b(bearer|basic|digest)(\\s*\"?\\s*)(?!\\*\\*\\*)[^\\s,;\"']+");
  private static final Pattern HEADER =
      Pattern.compile("(?i)\\b(proxy-authorization|authorization|set-cookie|cookie)(\"?\\s*[:=]\\s*)[^\\r\\n]+");

  private SecretRedaction() {}

  /** {@code text} with every credential masked. */
  public static String redact(String text) {
    if (text == null || text.isEmpty()) {
      return text;
    }
    String out = HEADER.matcher(text).replaceAll("$1$2***");
    out = API_KEY.matcher(out).replaceAll("$1_***");
    out = MP_TOKEN.matcher(out).replaceAll("mp_***");
    out = JWT.matcher(out).replaceAll("***");
    return SCHEME.matcher(out).replaceAll("$1$2***");
  }

  /** {@code %msg} with credentials masked (logback: {@code <conversionRule conversionWord="msg" …/>}). */
  public static final class Message extends MessageConverter {
    @Override
    public String convert(ILoggingEvent event) {
      return redact(super.convert(event));
    }
  }

  /** {@code %ex} with credentials masked in exception messages. */
  public static final class Thrown extends ThrowableProxyConverter {
    @Override
    protected String throwableProxyToString(IThrowableProxy proxy) {
      return redact(super.throwableProxyToString(proxy));
    }
  }
}
