import { useMutation, useQuery, useQueryClient } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import type { Role } from '../../auth/permissions';
import { useMe } from '../../auth/useMe';

export type ApiKey = components['schemas']['ApiKey'];
export type NewApiKey = components['schemas']['NewApiKey'];
export type Member = components['schemas']['Member'];
export type ServiceAccount = components['schemas']['ServiceAccount'];

// TODO(contract): these answers are described in openapi.yaml only in words; use their schemas once it has them.
export interface ServiceAccountSecret {
  id: string;
  clientId: string;
  clientSecret: string;
  tokenUrl: string;
  role: Role;
}

/** A list of the signed-in tenant's, cached under `[name, tenant]`. */
function useTenantList<T>(name: string, enabled: boolean, load: (tenant: string) => Promise<T[]>) {
  const { tenant } = useMe();
  return useQuery({ queryKey: [name, tenant], enabled: !!tenant && enabled, queryFn: () => load(tenant as string) });
}

/** A change in the signed-in tenant; the list it changes (`[name, tenant]`) is read again after it. */
function useTenantChange<V, R>(name: string | null, change: (tenant: string, v: V) => Promise<R>) {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (v: V) => {
      if (!tenant) throw new Error('not signed in');
      return change(tenant, v);
    },
    onSuccess: () => {
      if (name) void qc.invalidateQueries({ queryKey: [name, tenant] });
    },
  });
}

const path = (tenant: string) => ({ params: { path: { tenant } } });

export const useApiKeys = (enabled: boolean) =>
  useTenantList('apiKeys', enabled, async (tenant) => (await call(api.GET('/api/v1/tenants/{tenant}/api-keys', path(tenant)))).apiKeys ?? []);

export const useCreateApiKey = () =>
  useTenantChange('apiKeys', (tenant, body: { name: string; role: Role }) =>
    call(api.POST('/api/v1/tenants/{tenant}/api-keys', { ...path(tenant), body })),
  );

export const useRevokeApiKey = () =>
  useTenantChange('apiKeys', (tenant, keyId: string) =>
    call(api.DELETE('/api/v1/tenants/{tenant}/api-keys/{keyId}', { params: { path: { tenant, keyId } } })),
  );

export const useMembers = (enabled: boolean) =>
  useTenantList('members', enabled, async (tenant) => {
    const res = (await call(api.GET('/api/v1/tenants/{tenant}/members', path(tenant)))) as unknown as { members?: Member[] } | undefined;
    return res?.members ?? [];
  });

export const useInviteMember = () =>
  useTenantChange('members', async (tenant, body: ({ email: string } | { username: string }) & { role: Role }) =>
    (await call(api.POST('/api/v1/tenants/{tenant}/members', { ...path(tenant), body }))) as Member,
  );

export const useChangeMemberRole = () =>
  useTenantChange('members', (tenant, { memberId, role }: { memberId: string; role: Role }) =>
    call(api.PATCH('/api/v1/tenants/{tenant}/members/{memberId}', { params: { path: { tenant, memberId } }, body: { role } })),
  );

export const useRemoveMember = () =>
  useTenantChange('members', (tenant, memberId: string) =>
    call(api.DELETE('/api/v1/tenants/{tenant}/members/{memberId}', { params: { path: { tenant, memberId } } })),
  );

export const useServiceAccounts = (enabled: boolean) =>
  useTenantList('serviceAccounts', enabled, async (tenant) => {
    const res = (await call(api.GET('/api/v1/tenants/{tenant}/service-accounts', path(tenant)))) as unknown as
      | { serviceAccounts?: ServiceAccount[] }
      | undefined;
    return res?.serviceAccounts ?? [];
  });

export const useCreateServiceAccount = () =>
  useTenantChange('serviceAccounts', async (tenant, body: { name: string; role: Role }) =>
    (await call(api.POST('/api/v1/tenants/{tenant}/service-accounts', { ...path(tenant), body }))) as unknown as ServiceAccountSecret,
  );

/** The list does not change (no secret is listed), so nothing is read again. */
export const useRotateServiceAccount = () =>
  useTenantChange(null, async (tenant, accountId: string) =>
    (await call(
      api.POST('/api/v1/tenants/{tenant}/service-accounts/{accountId}/secret', { params: { path: { tenant, accountId } } }),
    )) as unknown as ServiceAccountSecret,
  );

export const useDeleteServiceAccount = () =>
  useTenantChange('serviceAccounts', (tenant, accountId: string) =>
    call(api.DELETE('/api/v1/tenants/{tenant}/service-accounts/{accountId}', { params: { path: { tenant, accountId } } })),
  );
