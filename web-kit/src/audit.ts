/** One change in the tenant's audit trail: a tenant event or one of its models' events. */
export interface AuditEvent {
  sequenceNr: number;
  type: string;
  at: string;
  actor: string;
  details: Record<string, unknown>;
  /** the model whose history it comes from; absent for the tenant's own events */
  model?: string;
}

export interface AuditFilter {
  type?: string;
  actor?: string;
  model?: string;
  /** ISO instants; from inclusive, to exclusive (as the API's ranges) */
  from?: string;
  to?: string;
}

/** The model an event concerns: its history's model, or the one a tenant event names (model_added, model_released). */
export function modelOf(e: AuditEvent): string | undefined {
  if (e.model) return e.model;
  const m = e.details.model;
  return typeof m === 'string' ? m : undefined;
}

/** Events matching every filter given; actor matches a part, case-insensitively; newest first. */
export function filterEvents(events: ReadonlyArray<AuditEvent>, f: AuditFilter): AuditEvent[] {
  const actor = f.actor?.trim().toLowerCase();
  const from = f.from ? Date.parse(f.from) : undefined;
  const to = f.to ? Date.parse(f.to) : undefined;
  return events
    .filter((e) => {
      if (f.type && e.type !== f.type) return false;
      if (actor && !e.actor.toLowerCase().includes(actor)) return false;
      if (f.model && modelOf(e) !== f.model) return false;
      const t = Date.parse(e.at);
      if (from !== undefined && !(t >= from)) return false;
      if (to !== undefined && !(t < to)) return false;
      return true;
    })
    .sort((a, b) => Date.parse(b.at) - Date.parse(a.at) || b.sequenceNr - a.sequenceNr);
}

/** The distinct values of a field, sorted, for the filter choices. */
export function distinct(events: ReadonlyArray<AuditEvent>, pick: (e: AuditEvent) => string | undefined): string[] {
  return [...new Set(events.map(pick).filter((v): v is string => !!v))].sort();
}

/** One page of a list shown in pages of `size`; `page` is 1-based and clamped into range. */
export function pageOf<T>(items: ReadonlyArray<T>, page: number, size: number): { items: T[]; page: number; pages: number } {
  const pages = Math.max(1, Math.ceil(items.length / size));
  const p = Math.min(Math.max(1, Math.floor(page) || 1), pages);
  return { items: items.slice((p - 1) * size, p * size), page: p, pages };
}

/** "api_key_created" → "API key created". */
export function typeLabel(type: string): string {
  const s = type.replace(/_/g, ' ').replace(/\bapi\b/g, 'API');
  return s.charAt(0).toUpperCase() + s.slice(1);
}

/** The details as short "key: value" text, secrets never being there to begin with. */
export function detailsText(details: Record<string, unknown>): string {
  return Object.entries(details)
    .filter(([, v]) => v !== null && v !== undefined && v !== '')
    .map(([k, v]) => `${k}: ${typeof v === 'object' ? JSON.stringify(v) : String(v)}`)
    .join('; ');
}
