package io.modelplane.identity;

/** What a request wants to do; the access policy decides per role. */
public enum Action {
  /** Create or list tenants: platform-wide. */
  MANAGE_TENANTS,
  /** Change a tenant's name, quota or status. */
  ADMINISTER_TENANT,
  /** Export all of a tenant's data (models, artifacts, usage, audit) as one archive. */
  EXPORT_TENANT,
  /** Read a tenant's profile. */
  READ_TENANT,
  /** Create, list and revoke API keys; manage members and service accounts. */
  MANAGE_ACCESS,
  /** Read models, versions, deployments and history. */
  READ_MODELS,
  /** Read the tenant's metered usage (billing data). */
  READ_USAGE,
  /** Upload versions, deploy, roll back, archive. */
  WRITE_MODELS,
  /** Call the predict API. */
  PREDICT
}
