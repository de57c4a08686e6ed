import { splitError, toTraffic, type Share } from './traffic';

/** What the deployment editor holds; numbers may be empty ('') while typing. */
export interface DeploymentForm {
  shares: Share[];
  replicas: number | '';
  maxBatchSize: number | '';
  maxBatchDelayMs: number | '';
  /** '' = the node's default */
  engineThreads: number | '';
}

export type FormErrors = Partial<Record<'traffic' | 'replicas' | 'maxBatchSize' | 'maxBatchDelayMs' | 'engineThreads', string>>;

const RANGES = {
  replicas: [1, 64, 'Replicas'],
  maxBatchSize: [1, 1024, 'Batch size'],
  maxBatchDelayMs: [0, 10000, 'Batch delay'],
  engineThreads: [0, 256, 'Engine threads'],
} as const;

export function validateDeployment(f: DeploymentForm): FormErrors {
  const errors: FormErrors = {};
  const split = splitError(f.shares);
  if (split) errors.traffic = split;
  for (const key of ['replicas', 'maxBatchSize', 'maxBatchDelayMs', 'engineThreads'] as const) {
    const [min, max, label] = RANGES[key];
    const v = f[key];
    if (v === '') {
      if (key !== 'engineThreads') errors[key] = `${label} is required.`;
    } else if (!Number.isInteger(v) || v < min || v > max) {
      errors[key] = `${label} must be a whole number from ${min} to ${max}.`;
    }
  }
  return errors;
}

export interface DeploymentLike {
  revision?: number;
  traffic?: Record<string, number>;
  replicas?: number;
  maxBatchSize?: number;
  maxBatchDelayMs?: number;
  engineThreads?: number | null;
}

/** The request body for PUT …/deployment, based on the revision the edits started from. */
export function deploymentRequest(f: DeploymentForm, expectedRevision: number) {
  return {
    traffic: toTraffic(f.shares),
    replicas: Number(f.replicas),
    maxBatchSize: Number(f.maxBatchSize),
    maxBatchDelayMs: Number(f.maxBatchDelayMs),
    ...(f.engineThreads === '' ? {} : { engineThreads: f.engineThreads }),
    expectedRevision,
  };
}
