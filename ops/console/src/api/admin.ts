import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, call, rawFetch, rawJson } from './client';
import { ApiError, toApiError } from '@modelplane/web-kit';
import type { Billing, Cluster, Overview, Plan, Statement, TenantWithPlan } from './types';
import { tenantQuery, type TenantFilters } from '../lib/tenants';

const json = (method: string, body?: unknown): RequestInit => ({
  method,
  headers: body === undefined ? {} : { 'Content-Type': 'application/json' },
  body: body === undefined ? undefined : JSON.stringify(body),
});

const qs = (query: Record<string, string | number>) => new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();

export const PAGE_SIZE = 50;

// Tenants: main's API, with the plans work's filters and fields. TODO(contract): plan, q, status are not in openapi.yaml yet.
export function useTenantPage(filters: TenantFilters, after: string | undefined) {
  return useQuery({
    queryKey: ['tenants', filters, after],
    placeholderData: keepPreviousData,
    queryFn: () => rawJson<{ tenants: TenantWithPlan[]; next: string | null }>(`/api/v1/tenants?${qs(tenantQuery(filters, PAGE_SIZE, after))}`),
  });
}

export function useTenant(tenant: string) {
  return useQuery({
    queryKey: ['tenant', tenant],
    queryFn: () => call(api.GET('/api/v1/tenants/{tenant}', { params: { path: { tenant } } })) as Promise<TenantWithPlan>,
  });
}

export function createTenant(body: { id: string; displayName: string; plan?: string }) {
  return rawJson<TenantWithPlan>('/api/v1/tenants', json('POST', body));
}

export function patchTenant(tenant: string, body: Record<string, unknown>) {
  return rawJson<TenantWithPlan>(`/api/v1/tenants/${encodeURIComponent(tenant)}`, json('PATCH', body));
}

export function suspendTenant(tenant: string) {
  return call(api.POST('/api/v1/tenants/{tenant}/suspend', { params: { path: { tenant } } }));
}

export function resumeTenant(tenant: string) {
  return call(api.POST('/api/v1/tenants/{tenant}/resume', { params: { path: { tenant } } }));
}

// Plans. TODO(contract): hand-typed until /api/v1/admin/plans is in openapi.yaml.
export function usePlans() {
  return useQuery({
    queryKey: ['plans'],
    queryFn: async () => {
      const plans: Plan[] = [];
      let after: string | undefined;
      for (let page = 0; page < 20; page++) {
        const res = await rawJson<{ items: Plan[]; next: string | null }>(`/api/v1/admin/plans?${qs({ limit: 500, ...(after ? { after } : {}) })}`);
        plans.push(...res.items);
        if (!res.next) break;
        after = res.next;
      }
      return plans;
    },
  });
}

export function createPlan(body: unknown) {
  return rawJson<Plan>('/api/v1/admin/plans', json('POST', body));
}

export function patchPlan(plan: string, body: unknown) {
  return rawJson<Plan>(`/api/v1/admin/plans/${encodeURIComponent(plan)}`, json('PATCH', body));
}

export async function deletePlan(plan: string): Promise<void> {
  await rawJson<unknown>(`/api/v1/admin/plans/${encodeURIComponent(plan)}`, json('DELETE'));
}

// Overview and billing. TODO(contract): hand-typed until they are in openapi.yaml.
export function useOverview() {
  return useQuery({ queryKey: ['overview'], refetchInterval: 30_000, queryFn: () => rawJson<Overview>('/api/v1/admin/overview') });
}

export function useBilling(month: string) {
  return useQuery({ queryKey: ['billing', month], queryFn: () => rawJson<Billing>(`/api/v1/admin/billing?${qs({ month })}`) });
}

export function useTenantBilling(tenant: string, month: string) {
  return useQuery({
    queryKey: ['billing', month, tenant],
    queryFn: () => rawJson<Statement>(`/api/v1/tenants/${encodeURIComponent(tenant)}/billing?${qs({ month })}`),
  });
}

/** The month's statements as the server's CSV. */
export async function billingCsv(month: string): Promise<Blob> {
  const response = await rawFetch(`/api/v1/admin/billing?${qs({ month })}`, { headers: { Accept: 'text/csv' } });
  if (!response.ok) {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    throw toApiError(response.status, body);
  }
  return response.blob();
}

// The cluster view, polled with If-None-Match: a 304 keeps what is shown.
let clusterTag: string | null = null;
let clusterLast: Cluster | null = null;

export async function fetchCluster(): Promise<Cluster> {
  const headers: Record<string, string> = {};
  if (clusterTag && clusterLast) headers['If-None-Match'] = clusterTag;
  const response = await rawFetch('/api/v1/admin/cluster', { headers, cache: 'no-store' });
  if (response.status === 304 && clusterLast) return clusterLast;
  const text = await response.text();
  let body: unknown;
  try {
    body = text ? JSON.parse(text) : undefined;
  } catch {
    body = undefined;
  }
  if (!response.ok) throw toApiError(response.status, body);
  clusterTag = response.headers.get('ETag');
  clusterLast = body as Cluster;
  return clusterLast;
}

export const CLUSTER_POLL_MS = 2000;

export function useCluster() {
  return useQuery({ queryKey: ['cluster'], refetchInterval: CLUSTER_POLL_MS, queryFn: fetchCluster });
}

// Cluster actions. TODO(contract): hand-typed until they are in openapi.yaml.
export function drainWorker(worker: string) {
  return rawJson<{ worker: string; draining: boolean }>(`/api/v1/admin/workers/${encodeURIComponent(worker)}/drain`, json('POST'));
}

export function undrainWorker(worker: string) {
  return rawJson<{ worker: string; draining: boolean }>(`/api/v1/admin/workers/${encodeURIComponent(worker)}/undrain`, json('POST'));
}

export function evictResident(path: string) {
  return rawJson<{ evicted: boolean }>(path, json('DELETE'));
}

export { ApiError };
