import { useQuery } from '@tanstack/react-query';
import { api, call } from './client';

/** Who the signed-in credential is; the console is for the operator role only. */
export function useMe() {
  return useQuery({ queryKey: ['me'], staleTime: 60_000, queryFn: () => call(api.GET('/api/v1/me')) });
}
