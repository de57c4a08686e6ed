import type { components } from '@modelplane/web-kit/schema';

export type Tenant = components['schemas']['Tenant'];
export type Quota = components['schemas']['Quota'];
export type AuditEntry = components['schemas']['AuditEntry'];
export type Me = components['schemas']['Me'];
export type QuotaKey = keyof Quota;

// TODO(contract): the types below are the shared contract's JSON, hand-typed until openapi.yaml has them.

/** A tenant as the plans work shows it: its plan and the limits it overrides. */
export type TenantWithPlan = Tenant & { plan?: string; quotaOverrides?: Partial<Quota> };

export interface Prices {
  perMillionRequests: number;
  perComputeHour: number;
  perGiBHourResident: number;
  monthlyBase: number;
}

export interface Plan {
  id: string;
  displayName: string;
  quota: Quota;
  prices: Prices;
  currency: string;
  /** tenants on it now */
  tenants: number;
  createdAt?: string;
  updatedAt?: string;
}

export interface StatementLine {
  item: 'base' | 'requests' | 'compute' | 'resident';
  description: string;
  quantity: number;
  unit: string;
  unitPrice: number;
  amount: number;
}

export interface Statement {
  tenant: string;
  month: string;
  plan: string;
  currency: string;
  usage: { requests: number; errors: number; items: number; computeSeconds: number; residentGiBHours: number };
  prices: Prices;
  lines: StatementLine[];
  total: number;
}

export interface Billing {
  month: string;
  from: string;
  to: string;
  statements: Statement[];
  totals: { currency: string; total: number }[];
}

export interface Overview {
  tenants: { total: number; active: number; suspended: number };
  models: { total: number; byStatus: Record<string, number> };
  lastHour: {
    from: string;
    to: string;
    tenants: { tenant: string; requests: number; errors: number; p50Ms: number | null; p99Ms: number | null; computeSeconds: number }[];
  };
  topByCompute: { tenant: string; computeSeconds: number }[];
}

export interface ClusterNode {
  address: string;
  roles: string[];
  status: string;
  reachable: boolean;
  upSince?: string | null;
}

export interface BatchSizes {
  average?: number | null;
  last?: number | null;
}

export interface Resident {
  /** tenant/model:version */
  key: string;
  tenant?: string;
  model?: string;
  version?: number | string;
  bytes: number;
  queueDepth: number;
  inFlight: number;
  lastUsedAt?: string | null;
  batchSizes?: BatchSizes | null;
}

export interface ClusterWorker {
  workerId: string;
  device: string;
  budgetBytes: number;
  usedBytes: number;
  models: Resident[];
  pool: string | null;
  draining?: boolean;
}

export interface Cluster {
  self: string;
  nodes: ClusterNode[];
  workers: ClusterWorker[];
}
