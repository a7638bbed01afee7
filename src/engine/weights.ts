import { DataError } from '../errors.js';
import type { NetworkWeight } from './network-runner.js';
import type { WeightSlot } from './network-spec.js';

/**
 * Returns `weights` in slot order after checking every expected weight is present with the
 * expected shape and value count; the error names the first weight that is wrong.
 */
export function checkWeights(slots: WeightSlot[], weights: NetworkWeight[]): NetworkWeight[] {
  const byName = new Map(weights.map((w) => [w.name, w]));
  return slots.map((slot) => {
    const w = byName.get(slot.name);
    if (w === undefined) throw new DataError('bad_weights', `network weight '${slot.name}' is missing`);
    const size = slot.shape.reduce((a, b) => a * b, 1);
    if (w.values.length !== size || w.shape.join(',') !== slot.shape.join(',')) {
      throw new DataError(
        'bad_weights',
        `network weight '${slot.name}' has shape [${w.shape.join(', ')}] (${w.values.length} values), expected [${slot.shape.join(', ')}]`,
      );
    }
    return w;
  });
}
