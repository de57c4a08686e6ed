import { useQuery } from '@tanstack/react-query';
import { api, call } from './client';
import type { components } from './schema';
import { useMe } from '../auth/useMe';
import type { Step } from '@modelplane/web-kit';

export type Model = components['schemas']['Model'];
export type Version = components['schemas']['Version'];
export type Deployment = components['schemas']['Deployment'];
export type Tensor = components['schemas']['Tensor'];
export type Tenant = components['schemas']['Tenant'];

const tp = (tenant: string) => ({ params: { path: { tenant } } });

export function useTenant() {
  const { tenant } = useMe();
  return useQuery({
    queryKey: ['tenant', tenant],
    enabled: !!tenant,
    queryFn: () => call(api.GET('/api/v1/tenants/{tenant}', tp(tenant as string))),
  });
}

/** All the tenant's models (every page). */
export function useModels() {
  const { tenant } = useMe();
  return useQuery({
    queryKey: ['models', tenant],
    enabled: !!tenant,
    queryFn: async () => {
      const models: Model[] = [];
      let after: string | undefined;
      for (let page = 0; page < 20; page++) {
        const res = await call(
          api.GET('/api/v1/tenants/{tenant}/models', {
            params: { path: { tenant: tenant as string }, query: { limit: 500, ...(after ? { after } : {}) } },
          }),
        );
        models.push(...(res.models ?? []));
        if (!res.next) break;
        after = res.next;
      }
      return models;
    },
  });
}

export function modelQueryOptions(tenant: string | undefined, model: string, pollMs?: number | false) {
  return {
    queryKey: ['model', tenant, model],
    enabled: !!tenant && model !== '',
    refetchInterval: pollMs,
    queryFn: () =>
      call(api.GET('/api/v1/tenants/{tenant}/models/{model}', { params: { path: { tenant: tenant as string, model } } })),
  };
}

export function useModel(model: string, pollMs?: number | false) {
  const { tenant } = useMe();
  return useQuery(modelQueryOptions(tenant, model, pollMs));
}

export function useUsage(q: { from?: string; to?: string; step: Step }, enabled = true) {
  const { tenant } = useMe();
  return useQuery({
    queryKey: ['usage', tenant, q],
    enabled: !!tenant && enabled,
    queryFn: () =>
      call(api.GET('/api/v1/tenants/{tenant}/usage', { params: { path: { tenant: tenant as string }, query: q } })),
  });
}
