package io.modelplane.api;

import static org.assertj.core.api.Assertions.assertThat;

import java.net.InetAddress;
import org.junit.jupiter.api.Test;

class FailedAuthenticationsTest {
  private static final long SECOND = 1_000_000_000L;
  private final InetAddress client = InetAddress.getLoopbackAddress();

  @Test
  void anAddressIsRefusedOnceItsBurstOfFailuresIsSpentAndAgainAllowedAsItRefills() {
    FailedAuthentications limit = new FailedAuthentications(2, 3);
    assertThat(limit.refusal(client, 0)).isEmpty();
    for (int i = 0; i < 3; i++) {
      limit.failed(client, 0);
    }
    assertThat(limit.refusal(client, 0)).hasValue(SECOND / 2);
    assertThat(limit.refusal(client, SECOND / 2)).isEmpty();
  }

  @Test
  void successesCostNothingAndOtherAddressesAreNotAffected() throws Exception {
    FailedAuthentications limit = new FailedAuthentications(1, 1);
    limit.failed(client, 0);
    assertThat(limit.refusal(client, 0)).isPresent();
    assertThat(limit.refusal(InetAddress.getByName("127.0.0.2"), 0)).isEmpty();
  }
}
