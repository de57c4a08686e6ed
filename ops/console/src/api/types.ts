import type { components, paths } from '@modelplane/web-kit/schema';

type S = components['schemas'];

/**
 * The server always sends these fields, but openapi.yaml marks few of them required: each is made present
 * here (a nullable one stays nullable).
 */
type Sent<T> = { [K in keyof T]-?: Exclude<T[K], undefined> };
type Item<T> = NonNullable<T> extends ReadonlyArray<infer I> ? I : never;

export type Quota = S['Quota'];
export type QuotaKey = keyof Quota;
export type AuditEntry = S['AuditEntry'];
export type Me = S['Me'];
export type Tenant = S['Tenant'];
export type TenantPatch = paths['/api/v1/tenants/{tenant}']['patch']['requestBody']['content']['application/json'];

export type Prices = Sent<S['PlanPrices']>;
export type Plan = Sent<Omit<S['Plan'], 'prices'>> & { prices: Prices };
export type CreatePlan = S['CreatePlan'];
export type PatchPlan = S['PatchPlan'];

export type StatementLine = S['Statement']['lines'][number];
export type Statement = Omit<S['Statement'], 'usage' | 'prices'> & { usage: Sent<S['Statement']['usage']>; prices: Prices };
type BillingJson = paths['/api/v1/admin/billing']['get']['responses']['200']['content']['application/json'];
export type Billing = Omit<BillingJson, 'statements'> & { statements: Statement[] };

type O = S['Overview'];
export type OverviewTenant = Sent<Item<Sent<O['lastHour']>['tenants']>>;
export type Overview = {
  tenants: Sent<O['tenants']>;
  models: Sent<O['models']>;
  lastHour: Omit<Sent<O['lastHour']>, 'tenants'> & { tenants: OverviewTenant[] };
  topByCompute: Sent<Item<O['topByCompute']>>[];
};

type CV = S['ClusterView'];
type NodeJson = Sent<Item<CV['nodes']>>;
/** A node with its resources; those are absent (sampledAt too) when the node did not answer in time. */
export type ClusterNode = Omit<NodeJson, 'cpu' | 'heap' | 'nativeMemory' | 'fileDescriptors' | 'disk' | 'gpus'> & {
  cpu: Sent<NodeJson['cpu']>;
  heap: Sent<NodeJson['heap']>;
  nativeMemory: Sent<NodeJson['nativeMemory']>;
  fileDescriptors: Sent<NodeJson['fileDescriptors']>;
  disk: Sent<NodeJson['disk']>;
  gpus: Sent<Item<NodeJson['gpus']>>[];
};
type WorkerJson = Sent<Item<CV['workers']>>;
export type BatchSizes = Sent<NonNullable<Item<WorkerJson['models']>['batchSizes']>>;
export type Resident = Omit<Sent<Item<WorkerJson['models']>>, 'batchSizes'> & { batchSizes: BatchSizes };
export type ClusterWorker = Omit<WorkerJson, 'models'> & { models: Resident[] };
export type Cluster = Omit<Sent<CV>, 'nodes' | 'workers'> & { nodes: ClusterNode[]; workers: ClusterWorker[] };
export type WorkerDrain = Sent<S['WorkerDrain']>;
