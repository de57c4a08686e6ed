package io.modelplane.identity.keycloak;

import io.modelplane.common.Role;
import io.modelplane.common.TenantId;
import jakarta.ws.rs.NotFoundException;
import jakarta.ws.rs.WebApplicationException;
import jakarta.ws.rs.client.Client;
import jakarta.ws.rs.core.Response;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.regex.Pattern;
import org.jboss.resteasy.client.jaxrs.internal.ResteasyClientBuilderImpl;
import org.keycloak.admin.client.JacksonProvider;
import org.keycloak.admin.client.Keycloak;
import org.keycloak.admin.client.KeycloakBuilder;
import org.keycloak.admin.client.resource.RealmResource;
import org.keycloak.representations.idm.ClientRepresentation;
import org.keycloak.representations.idm.ClientScopeRepresentation;
import org.keycloak.representations.idm.GroupRepresentation;
import org.keycloak.representations.idm.OrganizationDomainRepresentation;
import org.keycloak.representations.idm.OrganizationRepresentation;
import org.keycloak.representations.idm.ProtocolMapperRepresentation;
import org.keycloak.representations.idm.RealmRepresentation;
import org.keycloak.representations.idm.RoleRepresentation;
import org.keycloak.representations.idm.UserRepresentation;

/**
 * Keeps Keycloak in step with the platform, through the admin API: one platform realm; per tenant a
 * Keycloak Organization and the groups {@code /tenants/<tenant>/<role>} whose membership gives a
 * user or a service account its tenant and role (tokens carry them as full group paths in
 * {@code groups}, with audience {@code modelplane}); confidential clients as service accounts; one
 * public client (authorization code + PKCE) for the web apps. Every operation is idempotent, so a
 * failed provisioning can simply be run again. Blocking: call it off request threads.
 */
public final class KeycloakProvisioner implements AutoCloseable {
  public static final String AUDIENCE = "modelplane";
  public static final String WEB_CLIENT = "modelplane-web";
  private static final System.Logger LOG = System.getLogger(KeycloakProvisioner.class.getName());
  public static final String OPERATOR_ROLE = "operator";
  static final String TENANTS_GROUP = "tenants";
  static final String SCOPE = "modelplane";
  static final String TENANT_ATTRIBUTE = "modelplane.tenant";
  static final String ROLE_ATTRIBUTE = "modelplane.role";
  private static final Pattern ACCOUNT_NAME = Pattern.compile("[a-z0-9][a-z0-9-]{0,39}");
  private static final List<Role> TENANT_ROLES = List.of(Role.TENANT_ADMIN, Role.DEVELOPER, Role.VIEWER, Role.PREDICTOR);

  /**
   * @param url Keycloak's base URL, e.g. {@code http://127.0.0.1:18080}
   * @param realm the platform realm (created if missing)
   * @param publicUrl where the platform's web apps live: the web client's redirect target
   */
  public record Settings(String url, String realm, String adminUser, String adminPassword, String publicUrl) {
    public String issuer() {
      return url.replaceAll("/+$", "") + "/realms/" + realm;
    }

    public String tokenUrl() {
      return issuer() + "/protocol/openid-connect/token";
    }
  }

  /** What Keycloak holds for a tenant: recorded in the tenant's events. */
  public record TenantResources(String organizationId, Map<String, String> groupIds) {}

  /** A service account as created: the secret is shown this once. */
  public record NewServiceAccount(String id, String clientId, String clientSecret, Role role) {}

  public record ServiceAccount(String id, String clientId, Role role, boolean enabled) {}

  /**
   * A member of a tenant. {@code invitation}, only when added: {@code sent} (a new person got an
   * e-mail with a link to set a password), {@code not_sent} (a new person without an e-mail address,
   * or the realm has no SMTP server: {@code invitationNote} says which), {@code not_needed} (the person
   * already had an account).
   */
  public record Member(String id, String username, String email, Role role, String invitation, String invitationNote) {
    public Member(String id, String username, String email, Role role) {
      this(id, username, email, role, null, null);
    }
  }

  /** How long an invitation link stays valid. */
  static final Duration INVITATION_LIFESPAN = Duration.ofDays(3);

  /** A Keycloak refusal the caller can explain (e.g. a duplicate), apart from outages. */
  public static final class Conflict extends RuntimeException {
    public Conflict(String message) {
      super(message);
    }
  }

  private final Settings settings;
  private final Keycloak keycloak;

  public KeycloakProvisioner(Settings settings) {
    this.settings = settings;
    Client http = new ResteasyClientBuilderImpl()
        .connectTimeout(5, TimeUnit.SECONDS)
        .readTimeout(15, TimeUnit.SECONDS)
        .connectionPoolSize(8)
        .register(new JacksonProvider(), 100)
        .build();
    this.keycloak = KeycloakBuilder.builder()
        .serverUrl(settings.url())
        .realm("master")
        .clientId("admin-cli")
        .username(settings.adminUser())
        .password(settings.adminPassword())
        .resteasyClient(http)
        .build();
  }

  public Settings settings() {
    return settings;
  }

  private RealmResource realm() {
    return keycloak.realm(settings.realm());
  }

  /** The platform realm, its token shape (audience, groups), the operator role and the web client. */
  public synchronized void ensureRealm() {
    boolean exists = keycloak.realms().findAll().stream().anyMatch(r -> r.getRealm().equals(settings.realm()));
    if (!exists) {
      RealmRepresentation r = new RealmRepresentation();
      r.setRealm(settings.realm());
      r.setEnabled(true);
      r.setOrganizationsEnabled(true);
      r.setAccessTokenLifespan(300);
      keycloak.realms().create(r);
    } else {
      RealmRepresentation r = realm().toRepresentation();
      if (!Boolean.TRUE.equals(r.isOrganizationsEnabled())) {
        r.setOrganizationsEnabled(true);
        realm().update(r);
      }
    }
    ensureScope();
    if (realm().roles().list().stream().noneMatch(role -> role.getName().equals(OPERATOR_ROLE))) {
      RoleRepresentation operator = new RoleRepresentation();
      operator.setName(OPERATOR_ROLE);
      operator.setDescription("ModelPlane platform operator");
      realm().roles().create(operator);
    }
    ensureGroup(null, TENANTS_GROUP);
    ensureWebClient();
  }

  /** A default client scope that puts the audience and the group paths into every access token. */
  private void ensureScope() {
    ClientScopeRepresentation scope = realm().clientScopes().findAll().stream()
        .filter(s -> s.getName().equals(SCOPE)).findFirst().orElse(null);
    if (scope == null) {
      ClientScopeRepresentation s = new ClientScopeRepresentation();
      s.setName(SCOPE);
      s.setProtocol("openid-connect");
      s.setAttributes(Map.of("include.in.token.scope", "false", "display.on.consent.screen", "false"));
      s.setProtocolMappers(List.of(
          mapper("audience", "oidc-audience-mapper", Map.of(
              "included.custom.audience", AUDIENCE, "access.token.claim", "true", "id.token.claim", "false")),
          mapper("groups", "oidc-group-membership-mapper", Map.of(
              "claim.name", "groups", "full.path", "true", "access.token.claim", "true",
              "id.token.claim", "false", "userinfo.token.claim", "true"))));
      created(realm().clientScopes().create(s));
      scope = realm().clientScopes().findAll().stream().filter(x -> x.getName().equals(SCOPE)).findFirst().orElseThrow();
    }
    String id = scope.getId();
    if (realm().getDefaultDefaultClientScopes().stream().noneMatch(s -> s.getId().equals(id))) {
      realm().addDefaultDefaultClientScope(id);
    }
  }

  private static ProtocolMapperRepresentation mapper(String name, String type, Map<String, String> config) {
    ProtocolMapperRepresentation m = new ProtocolMapperRepresentation();
    m.setName(name);
    m.setProtocol("openid-connect");
    m.setProtocolMapper(type);
    m.setConfig(new LinkedHashMap<>(config));
    return m;
  }

  private void ensureWebClient() {
    String base = settings.publicUrl().replaceAll("/+$", "");
    ClientRepresentation c = realm().clients().findByClientId(WEB_CLIENT).stream().findFirst().orElse(null);
    boolean fresh = c == null;
    if (fresh) {
      c = new ClientRepresentation();
      c.setClientId(WEB_CLIENT);
    }
    c.setName("ModelPlane portal and console");
    c.setPublicClient(true);
    c.setStandardFlowEnabled(true);
    c.setDirectAccessGrantsEnabled(false);
    c.setImplicitFlowEnabled(false);
    c.setServiceAccountsEnabled(false);
    c.setRedirectUris(List.of(base + "/*"));
    c.setWebOrigins(List.of(base));
    Map<String, String> attributes = new LinkedHashMap<>(c.getAttributes() == null ? Map.of() : c.getAttributes());
    attributes.put("pkce.code.challenge.method", "S256");
    attributes.put("post.logout.redirect.uris", base + "/*");
    c.setAttributes(attributes);
    if (fresh) {
      created(realm().clients().create(c));
    } else {
      realm().clients().get(c.getId()).update(c);
    }
  }

  /** The tenant's Organization and role groups; what exists already is kept. */
  public synchronized TenantResources ensureTenant(TenantId tenant) {
    String alias = tenant.value();
    OrganizationRepresentation org = organization(tenant).orElse(null);
    if (org == null) {
      OrganizationRepresentation o = new OrganizationRepresentation();
      o.setName(alias);
      o.setAlias(alias);
      o.setEnabled(true);
      o.setDescription("ModelPlane tenant " + alias);
      OrganizationDomainRepresentation domain = new OrganizationDomainRepresentation();
      domain.setName(alias + ".tenants.modelplane.internal");
      o.addDomain(domain);
      created(realm().organizations().create(o));
      org = organization(tenant).orElseThrow(() -> new IllegalStateException("organization " + alias + " not found after creation"));
    }
    GroupRepresentation tenantGroup = ensureGroup(ensureGroup(null, TENANTS_GROUP), alias);
    Map<String, String> groups = new LinkedHashMap<>();
    for (Role role : TENANT_ROLES) {
      groups.put(role.wireName(), ensureGroup(tenantGroup, role.wireName()).getId());
    }
    return new TenantResources(org.getId(), groups);
  }

  private Optional<OrganizationRepresentation> organization(TenantId tenant) {
    return realm().organizations().search(tenant.value(), true, 0, 5).stream()
        .filter(o -> tenant.value().equals(o.getAlias()) || tenant.value().equals(o.getName()))
        .findFirst();
  }

  /** A top-level group (parent null) or a sub-group, created if missing. */
  private GroupRepresentation ensureGroup(GroupRepresentation parent, String name) {
    String path = (parent == null ? "" : parent.getPath()) + "/" + name;
    try {
      return realm().getGroupByPath(path);
    } catch (NotFoundException missing) {
      GroupRepresentation g = new GroupRepresentation();
      g.setName(name);
      Response r = parent == null ? realm().groups().add(g) : realm().groups().group(parent.getId()).subGroup(g);
      created(r);
      return realm().getGroupByPath(path);
    }
  }

  private GroupRepresentation roleGroup(TenantId tenant, Role role) {
    return realm().getGroupByPath("/" + TENANTS_GROUP + "/" + tenant.value() + "/" + role.wireName());
  }

  // ---- service accounts

  public synchronized NewServiceAccount createServiceAccount(TenantId tenant, String name, Role role) {
    if (!ACCOUNT_NAME.matcher(name).matches()) {
      throw new IllegalArgumentException("name must be 1-40 lowercase letters, digits and '-'");
    }
    String clientId = tenant.value() + "--" + name;
    if (!realm().clients().findByClientId(clientId).isEmpty()) {
      throw new Conflict("service account " + name + " already exists");
    }
    ClientRepresentation c = new ClientRepresentation();
    c.setClientId(clientId);
    c.setName("ModelPlane service account " + name + " of " + tenant.value());
    c.setPublicClient(false);
    c.setServiceAccountsEnabled(true);
    c.setStandardFlowEnabled(false);
    c.setDirectAccessGrantsEnabled(false);
    c.setImplicitFlowEnabled(false);
    c.setAttributes(Map.of(TENANT_ATTRIBUTE, tenant.value(), ROLE_ATTRIBUTE, role.wireName()));
    String id = created(realm().clients().create(c));
    UserRepresentation account = realm().clients().get(id).getServiceAccountUser();
    realm().users().get(account.getId()).joinGroup(roleGroup(tenant, role).getId());
    String secret = realm().clients().get(id).getSecret().getValue();
    return new NewServiceAccount(id, clientId, secret, role);
  }

  public List<ServiceAccount> serviceAccounts(TenantId tenant) {
    return realm().clients().findAll().stream()
        .filter(c -> c.getAttributes() != null && tenant.value().equals(c.getAttributes().get(TENANT_ATTRIBUTE)))
        .map(c -> new ServiceAccount(c.getId(), c.getClientId(),
            Role.fromWire(c.getAttributes().get(ROLE_ATTRIBUTE)).orElse(Role.VIEWER), Boolean.TRUE.equals(c.isEnabled())))
        .toList();
  }

  /**
   * Gives the tenant's service account a new secret: the old one gets no more tokens (tokens it got
   * stay valid until they expire). Empty when the tenant has no service account with that id.
   */
  public synchronized Optional<NewServiceAccount> rotateSecret(TenantId tenant, String id) {
    return tenantClient(tenant, id).map(c -> new NewServiceAccount(c.getId(), c.getClientId(),
        realm().clients().get(c.getId()).generateNewSecret().getValue(),
        Role.fromWire(c.getAttributes().get(ROLE_ATTRIBUTE)).orElse(Role.VIEWER)));
  }

  /**
   * Deletes the tenant's service account: the id of its service-account user (its tokens' subject),
   * or empty when the tenant has none with that id.
   */
  public synchronized Optional<String> deleteServiceAccount(TenantId tenant, String id) {
    Optional<ClientRepresentation> client = tenantClient(tenant, id);
    return client.map(c -> {
      // the subject of the tokens it was issued, so they can be refused from now on
      String serviceAccountUser = realm().clients().get(c.getId()).getServiceAccountUser().getId();
      realm().clients().get(c.getId()).remove();
      return serviceAccountUser;
    });
  }

  private Optional<ClientRepresentation> tenantClient(TenantId tenant, String id) {
    try {
      ClientRepresentation c = realm().clients().get(id).toRepresentation();
      return c.getAttributes() != null && tenant.value().equals(c.getAttributes().get(TENANT_ATTRIBUTE))
          ? Optional.of(c) : Optional.empty();
    } catch (NotFoundException missing) {
      return Optional.empty();
    }
  }

  /** Suspension disables the tenant's service accounts (no new tokens); resumption enables them. */
  public synchronized void setTenantEnabled(TenantId tenant, boolean enabled) {
    for (ServiceAccount account : serviceAccounts(tenant)) {
      ClientRepresentation c = realm().clients().get(account.id()).toRepresentation();
      if (!Boolean.valueOf(enabled).equals(c.isEnabled())) {
        c.setEnabled(enabled);
        realm().clients().get(account.id()).update(c);
      }
    }
    organization(tenant).ifPresent(org -> {
      if (!Boolean.valueOf(enabled).equals(org.isEnabled())) {
        org.setEnabled(enabled);
        closeQuietly(realm().organizations().get(org.getId()).update(org));
      }
    });
  }

  /**
   * Removes what Keycloak holds for a deleted tenant: its service accounts, its Organization and its role groups
   * (members keep their accounts, without this tenant's groups). What is already gone is skipped.
   */
  public synchronized void removeTenant(TenantId tenant) {
    for (ServiceAccount account : serviceAccounts(tenant)) {
      realm().clients().get(account.id()).remove();
    }
    organization(tenant).ifPresent(org -> closeQuietly(realm().organizations().get(org.getId()).delete()));
    try {
      GroupRepresentation group = realm().getGroupByPath("/" + TENANTS_GROUP + "/" + tenant.value());
      realm().groups().group(group.getId()).remove();
    } catch (NotFoundException gone) {
      // removed by an earlier attempt
    }
  }

  // ---- members

  /** Adds a person (found by username or email, created if unknown) to the tenant with one role. */
  public synchronized Member addMember(TenantId tenant, String usernameOrEmail, Role role) {
    boolean email = usernameOrEmail.contains("@");
    List<UserRepresentation> found = email
        ? realm().users().searchByEmail(usernameOrEmail, true)
        : realm().users().searchByUsername(usernameOrEmail, true);
    String userId;
    boolean newPerson = found.isEmpty();
    if (newPerson) {
      UserRepresentation u = new UserRepresentation();
      u.setUsername(usernameOrEmail.toLowerCase());
      if (email) {
        u.setEmail(usernameOrEmail);
      }
      u.setEnabled(true);
      // a new person sets a password at first sign-in
      u.setRequiredActions(List.of("UPDATE_PASSWORD"));
      userId = created(realm().users().create(u));
    } else {
      userId = found.get(0).getId();
    }
    if (memberRole(tenant, userId).isPresent()) {
      throw new Conflict(usernameOrEmail + " is already a member of " + tenant.value());
    }
    realm().users().get(userId).joinGroup(roleGroup(tenant, role).getId());
    organization(tenant).ifPresent(org -> closeQuietly(realm().organizations().get(org.getId()).members().addMember(userId)));
    UserRepresentation u = realm().users().get(userId).toRepresentation();
    if (!newPerson) {
      return new Member(userId, u.getUsername(), u.getEmail(), role, "not_needed", null);
    }
    String notSent = invite(userId, u.getEmail());
    return new Member(userId, u.getUsername(), u.getEmail(), role, notSent == null ? "sent" : "not_sent", notSent);
  }

  /**
   * E-mails a new person a link (valid {@link #INVITATION_LIFESPAN}) to set a password and verify the
   * address, ending at the web apps; null when sent, else why not.
   */
  private String invite(String userId, String email) {
    if (email == null) {
      return "invited by username: no e-mail address to send an invitation to";
    }
    Map<String, String> smtp = realm().toRepresentation().getSmtpServer();
    if (smtp == null || smtp.getOrDefault("host", "").isBlank()) {
      return "the realm has no SMTP server configured in Keycloak";
    }
    try {
      realm().users().get(userId).executeActionsEmail(WEB_CLIENT, settings.publicUrl().replaceAll("/+$", "") + "/",
          (int) INVITATION_LIFESPAN.toSeconds(), List.of("UPDATE_PASSWORD", "VERIFY_EMAIL"));
      return null;
    } catch (WebApplicationException refused) {
      LOG.log(System.Logger.Level.WARNING, "Keycloak could not send the invitation e-mail of user {0}: HTTP {1}",
          userId, refused.getResponse().getStatus());
      return "Keycloak could not send the e-mail (see its log)";
    }
  }

  public List<Member> members(TenantId tenant) {
    Map<String, Member> members = new LinkedHashMap<>();
    for (Role role : TENANT_ROLES) {
      String groupId = roleGroup(tenant, role).getId();
      for (UserRepresentation u : realm().groups().group(groupId).members(0, 1000)) {
        if (u.getUsername() != null && !u.getUsername().startsWith("service-account-")) {
          members.putIfAbsent(u.getId(), new Member(u.getId(), u.getUsername(), u.getEmail(), role));
        }
      }
    }
    return new ArrayList<>(members.values());
  }

  /** The member's new role; empty when the user is not a member of the tenant. */
  public synchronized Optional<Member> changeRole(TenantId tenant, String userId, Role role) {
    Optional<Role> current = memberRole(tenant, userId);
    if (current.isEmpty()) {
      return Optional.empty();
    }
    realm().users().get(userId).joinGroup(roleGroup(tenant, role).getId());
    if (current.get() != role) {
      realm().users().get(userId).leaveGroup(roleGroup(tenant, current.get()).getId());
    }
    UserRepresentation u = realm().users().get(userId).toRepresentation();
    return Optional.of(new Member(userId, u.getUsername(), u.getEmail(), role));
  }

  /** Removes the person from the tenant (not from Keycloak); false when not a member. */
  public synchronized boolean removeMember(TenantId tenant, String userId) {
    if (memberRole(tenant, userId).isEmpty()) {
      return false;
    }
    for (Role role : TENANT_ROLES) {
      realm().users().get(userId).leaveGroup(roleGroup(tenant, role).getId());
    }
    organization(tenant).ifPresent(org -> closeQuietly(realm().organizations().get(org.getId()).members().removeMember(userId)));
    return true;
  }

  private Optional<Role> memberRole(TenantId tenant, String userId) {
    String prefix = "/" + TENANTS_GROUP + "/" + tenant.value() + "/";
    try {
      return realm().users().get(userId).groups().stream()
          .map(GroupRepresentation::getPath)
          .filter(p -> p != null && p.startsWith(prefix))
          .map(p -> Role.fromWire(p.substring(prefix.length())).orElse(null))
          .filter(r -> r != null)
          .findFirst();
    } catch (NotFoundException missing) {
      return Optional.empty();
    }
  }

  /** The id of what a create call made (from its Location), or a Conflict / failure. */
  private static String created(Response response) {
    try (response) {
      int status = response.getStatus();
      if (status == 409) {
        throw new Conflict("already exists");
      }
      if (status / 100 != 2) {
        throw new WebApplicationException("Keycloak answered " + status, response.getStatus());
      }
      String location = response.getLocation() == null ? "" : response.getLocation().getPath();
      return location.substring(location.lastIndexOf('/') + 1);
    }
  }

  private static void closeQuietly(Response response) {
    try (response) {
      if (response.getStatus() / 100 != 2 && response.getStatus() != 409) {
        throw new WebApplicationException("Keycloak answered " + response.getStatus(), response.getStatus());
      }
    }
  }

  @Override
  public void close() {
    keycloak.close();
  }
}
