import { useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/useMe';

export type Statement = components['schemas']['Statement'];

/** The tenant's statement of one UTC month. */
export function useStatement(month: string, enabled: boolean) {
  const { tenant } = useMe();
  return useQuery({
    queryKey: ['billing', tenant, month],
    enabled: !!tenant && enabled,
    // the contract also lists the CSV answer; without Accept: text/csv the server answers the JSON statement
    queryFn: async () =>
      (await call(
        api.GET('/api/v1/tenants/{tenant}/billing', { params: { path: { tenant: tenant as string }, query: { month } } }),
      )) as Statement,
  });
}

/** The month's statement as the server's CSV, through the typed client (so the bearer goes with it; an error becomes its sentence). */
export function statementCsv(tenant: string, month: string): Promise<string> {
  return call(
    api.GET('/api/v1/tenants/{tenant}/billing', {
      params: { path: { tenant }, query: { month } },
      headers: { Accept: 'text/csv' },
      parseAs: 'text',
    }),
  );
}
