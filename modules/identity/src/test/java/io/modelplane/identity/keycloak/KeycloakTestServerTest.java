package io.modelplane.identity.keycloak;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.ConnectException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** The harness against the real Keycloak: admin API reachable, a stop leaves no process, a restart keeps realms. */
class KeycloakTestServerTest {

  private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
  private final ObjectMapper json = new ObjectMapper();

  @Test
  void servesTheAdminApiStopsByPidAndRestartsOnTheSamePortsWithItsRealms() throws Exception {
    try (KeycloakTestServer keycloak = KeycloakTestServer.builder().build()) {
      keycloak.start();
      System.out.printf("Keycloak prepare: %d ms (0 = cached), first start: %d ms (including prepare)%n",
          keycloak.distribution().preparedIn().toMillis(), keycloak.lastStartDuration().toMillis());
      String baseUrl = keycloak.baseUrl();
      long firstPid = keycloak.pid();
      assertThat(baseUrl).startsWith("http://127.0.0.1:");

      String token = keycloak.adminAccessToken();
      HttpResponse<String> realms = get(baseUrl + "/admin/realms", token);
      assertThat(realms.statusCode()).isEqualTo(200);
      assertThat(realmNames(realms.body())).contains("master");

      HttpResponse<String> created = http.send(HttpRequest.newBuilder(URI.create(baseUrl + "/admin/realms"))
              .header("Authorization", "Bearer " + token)
              .header("Content-Type", "application/json")
              .POST(HttpRequest.BodyPublishers.ofString("{\"realm\":\"survives-restart\",\"enabled\":true}"))
              .build(),
          HttpResponse.BodyHandlers.ofString());
      assertThat(created.statusCode()).as(created.body()).isEqualTo(201);

      keycloak.stop();
      assertThat(keycloak.isRunning()).isFalse();
      assertThat(ProcessHandle.of(firstPid).map(ProcessHandle::isAlive)).isIn(Optional.empty(), Optional.of(false));
      assertThatThrownBy(() -> get(baseUrl + "/realms/master", null)).isInstanceOf(ConnectException.class);

      keycloak.start();
      System.out.printf("Keycloak restart on the same ports and data: %d ms%n", keycloak.lastStartDuration().toMillis());
      assertThat(keycloak.baseUrl()).isEqualTo(baseUrl);
      assertThat(keycloak.pid()).isNotEqualTo(firstPid);
      HttpResponse<String> realmsAfter = get(baseUrl + "/admin/realms", keycloak.adminAccessToken());
      assertThat(realmNames(realmsAfter.body())).contains("master", "survives-restart");

      long secondPid = keycloak.pid();
      keycloak.close();
      assertThat(ProcessHandle.of(secondPid).map(ProcessHandle::isAlive)).isIn(Optional.empty(), Optional.of(false));
    }
  }

  private HttpResponse<String> get(String url, String token) throws IOException, InterruptedException {
    HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(url)).timeout(Duration.ofSeconds(10));
    if (token != null) {
      request.header("Authorization", "Bearer " + token);
    }
    return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
  }

  private List<String> realmNames(String body) throws IOException {
    List<String> names = new ArrayList<>();
    for (JsonNode realm : json.readTree(body)) {
      names.add(realm.path("realm").asText());
    }
    return names;
  }
}
