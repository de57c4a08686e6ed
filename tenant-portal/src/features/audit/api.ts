import { useQueries, useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import { useModels } from '../../api/queries';
import { useMe } from '../../auth/useMe';
import type { AuditEvent } from '@modelplane/web-kit';

// TODO(contract): the tenant history's answer is described in openapi.yaml only in words.
interface TenantHistory {
  tenant?: string;
  events?: Array<Omit<AuditEvent, 'model'>>;
}

/** The tenant's own changes and every one of its models' changes, as one list. */
export function useAuditTrail(enabled: boolean) {
  const { tenant } = useMe();
  const tenantQ = useQuery({
    queryKey: ['tenantHistory', tenant],
    enabled: !!tenant && enabled,
    queryFn: async () =>
      ((await call(
        api.GET('/api/v1/tenants/{tenant}/history', { params: { path: { tenant: tenant as string } } }),
      )) as unknown as TenantHistory | undefined)?.events ?? [],
  });
  const modelsQ = useModels();
  const names = (modelsQ.data ?? []).map((m) => m.name ?? '').filter(Boolean);
  const modelQs = useQueries({
    queries: names.map((model) => ({
      queryKey: ['modelHistory', tenant, model],
      enabled: !!tenant && enabled,
      queryFn: async (): Promise<AuditEvent[]> => {
        const res = await call(
          api.GET('/api/v1/tenants/{tenant}/models/{model}/history', { params: { path: { tenant: tenant as string, model } } }),
        );
        return (res.events ?? []).map((e) => ({
          sequenceNr: e.sequenceNr ?? 0,
          type: e.type ?? '',
          at: e.at ?? '',
          actor: e.actor ?? '',
          details: (e.details ?? {}) as Record<string, unknown>,
          model,
        }));
      },
    })),
  });

  const events: AuditEvent[] = [
    ...(tenantQ.data ?? []).map((e) => ({ ...e, details: e.details ?? {} })),
    ...modelQs.flatMap((q) => q.data ?? []),
  ];
  const failedModels = names.filter((_, i) => modelQs[i]?.isError);
  return {
    /** shaped for QueryState: pending until the tenant's history and the model list are in */
    query: {
      isPending: tenantQ.isPending || modelsQ.isPending || modelQs.some((q) => q.isPending),
      isError: tenantQ.isError,
      error: tenantQ.error,
      data: tenantQ.data ? events : undefined,
      refetch: () => {
        void tenantQ.refetch();
        void modelsQ.refetch();
        modelQs.forEach((q) => void q.refetch());
      },
    },
    models: names,
    failedModels,
    modelsError: modelsQ.isError ? modelsQ.error : null,
  };
}
