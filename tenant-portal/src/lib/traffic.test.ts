import { describe, expect, it } from 'vitest';
import { addVersion, fromTraffic, removeVersion, setPercent, splitError, toTraffic, total, withdraw } from './traffic';
import { deploymentRequest, validateDeployment, type DeploymentForm } from './deployment';

describe('traffic split editor', () => {
  it('reads the API traffic object sorted by version and writes canonical keys back', () => {
    const shares = fromTraffic({ '2': 10, '1': 90 });
    expect(shares).toEqual([
      { version: 1, percent: 90 },
      { version: 2, percent: 10 },
    ]);
    expect(toTraffic(shares)).toEqual({ '1': 90, '2': 10 });
  });

  it('gives the first added version everything and later ones what is left', () => {
    let s = addVersion([], 3);
    expect(s).toEqual([{ version: 3, percent: 100 }]);
    s = setPercent(s, 3, 90);
    s = addVersion(s, 4);
    expect(s).toEqual([
      { version: 3, percent: 90 },
      { version: 4, percent: 10 },
    ]);
    expect(splitError(s)).toBeNull();
  });

  it('adds with 0 when nothing is left: listed, but given no traffic', () => {
    const s = addVersion([{ version: 1, percent: 100 }], 2);
    expect(s[1]).toEqual({ version: 2, percent: 0 });
    expect(splitError(s)).toBeNull();
    expect(toTraffic(s)).toEqual({ '1': 100 });
  });

  it('lists every deployable version, those without traffic at 0 %', () => {
    expect(fromTraffic({ '1': 100 }, [1, 2, 3])).toEqual([
      { version: 1, percent: 100 },
      { version: 2, percent: 0 },
      { version: 3, percent: 0 },
    ]);
  });

  it('taking a version out gives its share to the largest other one', () => {
    const s = withdraw(
      [
        { version: 1, percent: 10 },
        { version: 2, percent: 60 },
        { version: 3, percent: 30 },
      ],
      1,
    );
    expect(s).toEqual([
      { version: 1, percent: 0 },
      { version: 2, percent: 70 },
      { version: 3, percent: 30 },
    ]);
    expect(toTraffic(withdraw([{ version: 1, percent: 100 }, { version: 2, percent: 0 }], 1))).toEqual({ '2': 100 });
  });

  it('does not add a version twice', () => {
    expect(addVersion([{ version: 1, percent: 100 }], 1)).toEqual([{ version: 1, percent: 100 }]);
  });

  it('gives a removed version share to the largest remaining one', () => {
    const s = removeVersion(
      [
        { version: 1, percent: 60 },
        { version: 2, percent: 30 },
        { version: 3, percent: 10 },
      ],
      3,
    );
    expect(s).toEqual([
      { version: 1, percent: 70 },
      { version: 2, percent: 30 },
    ]);
    expect(total(s)).toBe(100);
  });

  it('removing the last version leaves an empty split that cannot be sent', () => {
    const s = removeVersion([{ version: 1, percent: 100 }], 1);
    expect(s).toEqual([]);
    expect(splitError(s)).toBe('Give at least one version traffic.');
  });

  it('requires the shares to sum to exactly 100', () => {
    expect(splitError([{ version: 1, percent: 90 }, { version: 2, percent: 5 }])).toBe(
      'The shares add up to 95%; they must add up to 100%.',
    );
    expect(splitError([{ version: 1, percent: 90 }, { version: 2, percent: 20 }])).toMatch(/110%/);
    expect(splitError([{ version: 1, percent: 100 }])).toBeNull();
  });

  it('refuses fractional, negative and all-zero splits', () => {
    expect(splitError([{ version: 1, percent: 50.5 }, { version: 2, percent: 49.5 }])).toMatch(/whole percent/);
    expect(splitError([{ version: 1, percent: 110 }, { version: 2, percent: -10 }])).toMatch(/Version 1 needs a whole percent/);
    expect(splitError([{ version: 1, percent: 0 }])).toBe('Give at least one version traffic.');
  });

  it('does not mutate its input', () => {
    const before = [{ version: 1, percent: 50 }, { version: 2, percent: 50 }];
    removeVersion(before, 2);
    setPercent(before, 1, 10);
    expect(before).toEqual([{ version: 1, percent: 50 }, { version: 2, percent: 50 }]);
  });
});

describe('deployment form', () => {
  const form: DeploymentForm = {
    shares: [{ version: 1, percent: 90 }, { version: 2, percent: 10 }],
    replicas: 2,
    maxBatchSize: 32,
    maxBatchDelayMs: 0,
    engineThreads: '',
  };

  it('builds the request with expectedRevision and leaves engineThreads out for the node default', () => {
    expect(validateDeployment(form)).toEqual({});
    expect(deploymentRequest(form, 7)).toEqual({
      traffic: { '1': 90, '2': 10 },
      replicas: 2,
      maxBatchSize: 32,
      maxBatchDelayMs: 0,
      expectedRevision: 7,
    });
    expect(deploymentRequest({ ...form, engineThreads: 0 }, 0)).toMatchObject({ engineThreads: 0, expectedRevision: 0 });
  });

  it('names each field out of range', () => {
    const errors = validateDeployment({ ...form, replicas: 65, maxBatchSize: 0, maxBatchDelayMs: '', engineThreads: 257 });
    expect(errors.replicas).toBe('Replicas must be a whole number from 1 to 64.');
    expect(errors.maxBatchSize).toBe('Batch size must be a whole number from 1 to 1024.');
    expect(errors.maxBatchDelayMs).toBe('Batch delay is required.');
    expect(errors.engineThreads).toBe('Engine threads must be a whole number from 0 to 256.');
    expect(errors.traffic).toBeUndefined();
  });
});
