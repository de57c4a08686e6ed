import type { Tensor } from '../../api/queries';

/** "input FP32 [-1, 1, 28, 28]" */
export function describeTensor(t: Tensor): string {
  return `${t.name} ${t.datatype} [${t.shape.join(', ')}]`;
}
