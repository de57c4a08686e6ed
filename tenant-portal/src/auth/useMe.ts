import { useQuery } from '@tanstack/react-query';
import { fetchMe, type Me } from '../api/me';
import { permission, type Action, type Permission } from './permissions';

/** The signed-in credential (tenant, role) and what it may do. */
export function useMe() {
  const query = useQuery({ queryKey: ['me'], queryFn: fetchMe, staleTime: 60_000 });
  const me: Me | undefined = query.data;
  return {
    ...query,
    me,
    tenant: me?.tenant ?? undefined,
    can: (action: Action): Permission => permission(me?.role, action),
  };
}
