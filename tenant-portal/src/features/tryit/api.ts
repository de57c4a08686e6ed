import { useMutation, useQuery } from '@tanstack/react-query';
import { api, call } from '../../api/client';
import type { components } from '../../api/schema';
import type { ParsedTensor } from './tensor';

export type ModelMetadata = components['schemas']['ModelMetadata'];
export type InferResponse = components['schemas']['InferResponse'];
type InferTensor = components['schemas']['InferTensor'];

/** The model's metadata (inputs, outputs, versions): of the version with the biggest traffic share, or of one version. */
export function useModelMetadata(model: string, version: string | undefined, enabled: boolean) {
  return useQuery({
    queryKey: ['metadata', model, version ?? null],
    enabled,
    queryFn: () =>
      version
        ? call(api.GET('/v2/models/{model}/versions/{version}', { params: { path: { model, version: Number(version) } } }))
        : call(api.GET('/v2/models/{model}', { params: { path: { model } } })),
  });
}

export interface InferResult {
  response: InferResponse;
  latencyMs: number;
}

/** Sends the request and times it in the browser (network included). */
export function useInfer(model: string) {
  return useMutation({
    mutationFn: async ({ version, inputs }: { version?: string; inputs: ParsedTensor[] }): Promise<InferResult> => {
      const body = { inputs: inputs as unknown as InferTensor[] };
      const started = performance.now();
      const response = version
        ? await call(
            api.POST('/v2/models/{model}/versions/{version}/infer', {
              params: { path: { model, version: Number(version) } },
              body,
            }),
          )
        : await call(api.POST('/v2/models/{model}/infer', { params: { path: { model } }, body }));
      // a JSON request without binary_data_output is answered in JSON
      return { response: response as InferResponse, latencyMs: performance.now() - started };
    },
  });
}
