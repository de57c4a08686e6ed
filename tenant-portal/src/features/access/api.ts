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

function tenantOrThrow(tenant: string | undefined): string {
  if (!tenant) throw new Error('not signed in');
  return tenant;
}

export function useApiKeys(enabled: boolean) {
  const { tenant } = useMe();
  return useQuery({
    queryKey: ['apiKeys', tenant],
    enabled: !!tenant && enabled,
    queryFn: async () => {
      const res = await call(api.GET('/api/v1/tenants/{tenant}/api-keys', { params: { path: { tenant: tenantOrThrow(tenant) } } }));
      return res.apiKeys ?? [];
    },
  });
}

export function useCreateApiKey() {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: { name: string; role: Role }) =>
      call(api.POST('/api/v1/tenants/{tenant}/api-keys', { params: { path: { tenant: tenantOrThrow(tenant) } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['apiKeys', tenant] }),
  });
}

export function useRevokeApiKey() {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (keyId: string) =>
      call(api.DELETE('/api/v1/tenants/{tenant}/api-keys/{keyId}', { params: { path: { tenant: tenantOrThrow(tenant), keyId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['apiKeys', tenant] }),
  });
}

export function useMembers(enabled: boolean) {
  const { tenant } = useMe();
  return useQuery({
    queryKey: ['members', tenant],
    enabled: !!tenant && enabled,
    queryFn: async () => {
      const res = (await call(api.GET('/api/v1/tenants/{tenant}/members', { params: { path: { tenant: tenantOrThrow(tenant) } } }))) as unknown as
        | { members?: Member[] }
        | undefined;
      return res?.members ?? [];
    },
  });
}

export function useInviteMember() {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (body: ({ email: string } | { username: string }) & { role: Role }) =>
      call(api.POST('/api/v1/tenants/{tenant}/members', { params: { path: { tenant: tenantOrThrow(tenant) } }, body })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['members', tenant] }),
  });
}

export function useChangeMemberRole() {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: ({ memberId, role }: { memberId: string; role: Role }) =>
      call(
        api.PATCH('/api/v1/tenants/{tenant}/members/{memberId}', {
          params: { path: { tenant: tenantOrThrow(tenant), memberId } },
          body: { role },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['members', tenant] }),
  });
}

export function useRemoveMember() {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (memberId: string) =>
      call(api.DELETE('/api/v1/tenants/{tenant}/members/{memberId}', { params: { path: { tenant: tenantOrThrow(tenant), memberId } } })),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['members', tenant] }),
  });
}

export function useServiceAccounts(enabled: boolean) {
  const { tenant } = useMe();
  return useQuery({
    queryKey: ['serviceAccounts', tenant],
    enabled: !!tenant && enabled,
    queryFn: async () => {
      const res = (await call(
        api.GET('/api/v1/tenants/{tenant}/service-accounts', { params: { path: { tenant: tenantOrThrow(tenant) } } }),
      )) as unknown as { serviceAccounts?: ServiceAccount[] } | undefined;
      return res?.serviceAccounts ?? [];
    },
  });
}

export function useCreateServiceAccount() {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: async (body: { name: string; role: Role }) =>
      (await call(
        api.POST('/api/v1/tenants/{tenant}/service-accounts', { params: { path: { tenant: tenantOrThrow(tenant) } }, body }),
      )) as unknown as ServiceAccountSecret,
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['serviceAccounts', tenant] }),
  });
}

export function useRotateServiceAccount() {
  const { tenant } = useMe();
  return useMutation({
    mutationFn: async (accountId: string) =>
      (await call(
        api.POST('/api/v1/tenants/{tenant}/service-accounts/{accountId}/secret', {
          params: { path: { tenant: tenantOrThrow(tenant), accountId } },
        }),
      )) as unknown as ServiceAccountSecret,
  });
}

export function useDeleteServiceAccount() {
  const { tenant } = useMe();
  const qc = useQueryClient();
  return useMutation({
    mutationFn: (accountId: string) =>
      call(
        api.DELETE('/api/v1/tenants/{tenant}/service-accounts/{accountId}', {
          params: { path: { tenant: tenantOrThrow(tenant), accountId } },
        }),
      ),
    onSuccess: () => void qc.invalidateQueries({ queryKey: ['serviceAccounts', tenant] }),
  });
}
