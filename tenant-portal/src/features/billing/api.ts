import { useQuery } from '@tanstack/react-query';
import { rawFetch, toApiError } from '@modelplane/web-kit';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import { useMe } from '../../auth/useMe';

export type Statement = components['schemas']['Statement'];
export type StatementLine = Statement['lines'][number];

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

/** The month's statement as the server's CSV (the signed-in bearer goes with it; an error becomes its sentence). */
export async function statementCsv(tenant: string, month: string): Promise<string> {
  const path = `/api/v1/tenants/${encodeURIComponent(tenant)}/billing?month=${encodeURIComponent(month)}`;
  const response = await rawFetch(path, { headers: { Accept: 'text/csv' } });
  if (!response.ok) {
    let body: unknown;
    try {
      body = await response.json();
    } catch {
      body = undefined;
    }
    throw toApiError(response.status, body);
  }
  return response.text();
}
