/** The tenants list's filters, as the URL and the API take them. */
export interface TenantFilters {
  /** part of the id or display name */
  q: string;
  /** deleted tenants are listed only when asked for */
  status: '' | 'active' | 'suspended' | 'deleted';
  plan: string;
}

export const NO_FILTERS: TenantFilters = { q: '', status: '', plan: '' };

/** Query parameters for GET /api/v1/tenants: only the filters set, the search trimmed. */
export function tenantQuery(f: TenantFilters, limit: number, after?: string): Record<string, string | number> {
  const q: Record<string, string | number> = { limit };
  const text = f.q.trim();
  if (text) q.q = text;
  if (f.status) q.status = f.status;
  if (f.plan) q.plan = f.plan;
  if (after) q.after = after;
  return q;
}

/** The filters a URL's search holds (unknown values dropped), so a filtered list survives reload and links. */
export function filtersFromSearch(search: URLSearchParams): TenantFilters {
  const status = search.get('status');
  return {
    q: search.get('q') ?? '',
    status: status === 'active' || status === 'suspended' || status === 'deleted' ? status : '',
    plan: search.get('plan') ?? '',
  };
}

export function searchOf(f: TenantFilters): string {
  const s = new URLSearchParams();
  if (f.q.trim()) s.set('q', f.q.trim());
  if (f.status) s.set('status', f.status);
  if (f.plan) s.set('plan', f.plan);
  const text = s.toString();
  return text ? `?${text}` : '';
}

/**
 * Cursor paging over `{items, next}` lists: the cursors of the pages seen so far, so "previous" needs no
 * backwards cursor from the server. Page 1 has no cursor.
 */
export interface CursorPages {
  cursors: (string | undefined)[];
  index: number;
}

export const FIRST_PAGE: CursorPages = { cursors: [undefined], index: 0 };

export function nextPage(p: CursorPages, next: string | null | undefined): CursorPages {
  if (!next) return p;
  const cursors = p.cursors.slice(0, p.index + 1);
  cursors.push(next);
  return { cursors, index: p.index + 1 };
}

export function previousPage(p: CursorPages): CursorPages {
  return p.index === 0 ? p : { cursors: p.cursors, index: p.index - 1 };
}

export function cursorOf(p: CursorPages): string | undefined {
  return p.cursors[p.index];
}

/** A tenant id as the API accepts it (3–40 of a–z, 0–9 and -). */
export function tenantIdProblem(id: string): string | null {
  if (!/^[a-z0-9-]{3,40}$/.test(id)) return 'Use 3 to 40 lowercase letters, digits or dashes.';
  return null;
}
