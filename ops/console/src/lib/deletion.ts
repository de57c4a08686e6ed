/** What DELETE /api/v1/tenants/{t} answers. */
export interface TenantDeletion {
  tenant: string;
  status: string;
  deletedAt: string;
  artifactsDeleted: number;
  dataKeyDestroyed: boolean;
  idReleased: boolean;
}

/** A tenant being deleted or deleted: no more suspend, resume, plan or quota changes. */
export function gone(status: string | undefined): boolean {
  return status === 'deleting' || status === 'deleted';
}

/** The delete button is enabled only once the tenant id is typed exactly (surrounding spaces aside). */
export function confirmationMatches(typed: string, tenant: string): boolean {
  return tenant.length > 0 && typed.trim() === tenant;
}

/** The DELETE's query: confirm is the tenant id again; releaseId only when asked for. */
export function deleteQuery(tenant: string, releaseId: boolean): { confirm: string; releaseId?: boolean } {
  return releaseId ? { confirm: tenant, releaseId: true } : { confirm: tenant };
}

/** The result in sentences, for the dialog and the tenant page. */
export function deletionSummary(d: TenantDeletion): string[] {
  const n = d.artifactsDeleted;
  return [
    `${n} artifact${n === 1 ? '' : 's'} deleted.`,
    d.dataKeyDestroyed
      ? 'Data key destroyed: no stored copy of its artifacts can be decrypted again.'
      : 'The data key was not destroyed; delete the tenant again to finish.',
    d.idReleased ? `The id ${d.tenant} is released and can be used for a new tenant.` : `The id ${d.tenant} stays reserved.`,
  ];
}
