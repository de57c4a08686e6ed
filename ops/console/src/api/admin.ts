import { keepPreviousData, useQuery } from '@tanstack/react-query';
import { api, call, rawFetch } from './client';
import { ApiError, errorOf, toApiError } from '@modelplane/web-kit';
import type { Billing, Cluster, CreatePlan, Overview, PatchPlan, Plan, Statement, Tenant, TenantPatch, WorkerDrain } from './types';
import { tenantQuery, type TenantFilters } from '../lib/tenants';
import { deleteQuery, type TenantDeletion } from '../lib/deletion';

const qs = (query: Record<string, string | number>) => new URLSearchParams(Object.entries(query).map(([k, v]) => [k, String(v)])).toString();

export const PAGE_SIZE = 50;

// Tenants, filtered by the server (q, status, plan) and paged.
export function useTenantPage(filters: TenantFilters, after: string | undefined) {
  return useQuery({
    queryKey: ['tenants', filters, after],
    placeholderData: keepPreviousData,
    queryFn: async () => {
      const res = await call(api.GET('/api/v1/tenants', { params: { query: tenantQuery(filters, PAGE_SIZE, after) } }));
      return { tenants: res.tenants ?? [], next: res.next ?? null };
    },
  });
}

export function useTenant(tenant: string) {
  return useQuery({
    queryKey: ['tenant', tenant],
    queryFn: () => call(api.GET('/api/v1/tenants/{tenant}', { params: { path: { tenant } } })),
  });
}

export function createTenant(body: { id: string; displayName: string; plan?: string }): Promise<Tenant> {
  return call(api.POST('/api/v1/tenants', { body }));
}

/** quotaOverrides replaces the tenant's whole set of overrides ({} clears it). */
export function patchTenant(tenant: string, body: TenantPatch): Promise<Tenant> {
  return call(api.PATCH('/api/v1/tenants/{tenant}', { params: { path: { tenant } }, body }));
}

export function suspendTenant(tenant: string) {
  return call(api.POST('/api/v1/tenants/{tenant}/suspend', { params: { path: { tenant } } }));
}

export function resumeTenant(tenant: string) {
  return call(api.POST('/api/v1/tenants/{tenant}/resume', { params: { path: { tenant } } }));
}

/** Deletes the tenant (confirm = its id); resumes a deletion that stopped half-way. */
export function deleteTenant(tenant: string, releaseId: boolean): Promise<TenantDeletion> {
  return call(api.DELETE('/api/v1/tenants/{tenant}', { params: { path: { tenant }, query: deleteQuery(tenant, releaseId) } }));
}

// Plans: every page of them (a platform has a few).
export function usePlans() {
  return useQuery({
    queryKey: ['plans'],
    queryFn: async () => {
      const plans: Plan[] = [];
      let after: string | undefined;
      for (let page = 0; page < 20; page++) {
        const res = await call(api.GET('/api/v1/admin/plans', { params: { query: { limit: 500, ...(after ? { after } : {}) } } }));
        plans.push(...((res.items ?? []) as Plan[]));
        if (!res.next) break;
        after = res.next;
      }
      return plans;
    },
  });
}

export async function createPlan(body: CreatePlan): Promise<Plan> {
  return (await call(api.POST('/api/v1/admin/plans', { body }))) as Plan;
}

export async function patchPlan(plan: string, body: PatchPlan): Promise<Plan> {
  return (await call(api.PATCH('/api/v1/admin/plans/{plan}', { params: { path: { plan } }, body }))) as Plan;
}

export async function deletePlan(plan: string): Promise<void> {
  await call(api.DELETE('/api/v1/admin/plans/{plan}', { params: { path: { plan } } }));
}

// Overview and billing.
export function useOverview() {
  return useQuery({
    queryKey: ['overview'],
    refetchInterval: 30_000,
    queryFn: async () => (await call(api.GET('/api/v1/admin/overview'))) as Overview,
  });
}

export function useBilling(month: string) {
  return useQuery({
    queryKey: ['billing', month],
    queryFn: async () => (await call(api.GET('/api/v1/admin/billing', { params: { query: { month } } }))) as Billing,
  });
}

export function useTenantBilling(tenant: string, month: string) {
  return useQuery({
    queryKey: ['billing', month, tenant],
    queryFn: async () => (await call(api.GET('/api/v1/tenants/{tenant}/billing', { params: { path: { tenant }, query: { month } } }))) as Statement,
  });
}

/** The month's statements as the server's CSV. */
export async function billingCsv(month: string): Promise<Blob> {
  const response = await rawFetch(`/api/v1/admin/billing?${qs({ month })}`, { headers: { Accept: 'text/csv' } });
  if (!response.ok) throw await errorOf(response);
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

// Cluster actions; openapi-fetch encodes each path parameter (a worker id holds "/" and ":").
export async function drainWorker(worker: string): Promise<WorkerDrain> {
  return (await call(api.POST('/api/v1/admin/workers/{worker}/drain', { params: { path: { worker } } }))) as WorkerDrain;
}

export async function undrainWorker(worker: string): Promise<WorkerDrain> {
  return (await call(api.POST('/api/v1/admin/workers/{worker}/undrain', { params: { path: { worker } } }))) as WorkerDrain;
}

export function evictResident(worker: string, r: { tenant: string; model: string; version: number }) {
  return call(api.DELETE('/api/v1/admin/workers/{worker}/residents/{tenant}/{model}/{version}', {
    params: { path: { worker, tenant: r.tenant, model: r.model, version: r.version } },
  }));
}

export { ApiError };
