import { ConfigError } from '../errors.js';
import type { Random } from '../random.js';
import type { DataTransformer, DiscreteColumnInfo } from './data-transformer.js';
import type { SampleConditions } from './synthesizer.js';

/** One discrete column's place in the conditional vector and in the transformed row. */
export interface ConditionColumn {
  /** Index among the transformer's columns. */
  column: number;
  name: string;
  /** First slot of this column in the conditional vector. */
  condStart: number;
  /** First slot of this column's one-hot in the transformed row. */
  dataStart: number;
  width: number;
}

/** A batch of conditional vectors and, for training, the real rows that satisfy them. */
export interface ConditionBatch {
  /** batch × condWidth, row-major, one 1 per row (all zeros when there are no discrete columns). */
  cond: Float32Array;
  /** Per row: the conditioned column's index in {@link ConditionSampler.columns} (-1 when none). */
  conditionColumn: Int32Array;
  /** Per row: the chosen slot within that column. */
  slot: Int32Array;
  /** Per row: a real row carrying the condition (training only). */
  rows?: Int32Array;
}

/**
 * CTGAN's conditional vector and training-by-sampling. A training batch picks, for each row, a
 * discrete column uniformly and one of its categories with probability proportional to the log
 * of its frequency, then a real row that has that category: rare categories and the minority
 * class are shown to the networks far more often than their share, with the condition telling
 * the networks which column to respect. When generating, categories are drawn by their true
 * frequency, so the mixture over conditions is the data's own distribution.
 */
export class ConditionSampler {
  readonly columns: ConditionColumn[] = [];
  readonly condWidth: number;
  /** Per column, per slot: the rows that carry it. */
  private readonly rowsBySlot: Int32Array[][] = [];
  /** Per column: cumulative log-frequency and true-frequency probabilities over the slots. */
  private readonly logCumulative: Float64Array[] = [];
  private readonly trueCumulative: Float64Array[] = [];

  /**
   * The sampler of a fitted transformer; with the transformed rows `x` (and their count) it can
   * also draw training batches, without them only conditions for generation.
   */
  constructor(
    private readonly transformer: DataTransformer,
    x?: Float32Array,
    private readonly nRows = 0,
  ) {
    let condStart = 0;
    const w = transformer.width;
    for (const [c, info] of transformer.state.columns.entries()) {
      if (info.type !== 'discrete') continue;
      const place = transformer.layout[c] as { onehot: number; onehotWidth: number };
      const width = place.onehotWidth;
      this.columns.push({ column: c, name: info.name, condStart, dataStart: place.onehot, width });
      condStart += width;
      this.logCumulative.push(cumulative(info.counts.map((n) => Math.log(n + 1))));
      this.trueCumulative.push(cumulative(info.counts));
      if (!x) continue;
      const lists: number[][] = Array.from({ length: width }, () => []);
      for (let r = 0; r < nRows; r++) {
        for (let j = 0; j < width; j++) {
          if (x[r * w + place.onehot + j] === 1) {
            (lists[j] as number[]).push(r);
            break;
          }
        }
      }
      this.rowsBySlot.push(lists.map((l) => Int32Array.from(l)));
    }
    this.condWidth = condStart;
  }

  /** The sampler of a restored synthesizer: conditions for generation only. */
  static fromTransformer(transformer: DataTransformer): ConditionSampler {
    return new ConditionSampler(transformer);
  }

  /** Conditions and matching real rows for one training batch (training-by-sampling). */
  trainingBatch(size: number, rng: Random): ConditionBatch {
    if (this.rowsBySlot.length !== this.columns.length)
      throw new ConfigError('no_training_rows', 'this condition sampler was built without the training rows');
    const batch = this.draw(size, rng, this.logCumulative);
    const rows = new Int32Array(size);
    for (let i = 0; i < size; i++) {
      const c = batch.conditionColumn[i] as number;
      if (c < 0) {
        rows[i] = rng.int(this.nRows);
        continue;
      }
      const list = (this.rowsBySlot[c] as Int32Array[])[batch.slot[i] as number] as Int32Array;
      rows[i] = list[rng.int(list.length)] as number;
    }
    return { ...batch, rows };
  }

  /** Conditions for generating rows with the data's own category frequencies. */
  generationBatch(size: number, rng: Random): ConditionBatch {
    return this.draw(size, rng, this.trueCumulative);
  }

  /**
   * The fixed condition of `conditions` for every one of `size` rows.
   *
   * @throws ConfigError `too_many_conditions` (more than one column), `unknown_condition_column`,
   *   `numeric_condition_column` (conditions are on categorical or boolean columns),
   *   `unknown_condition_value` (a value the column never had when fitting).
   */
  fixedBatch(size: number, conditions: SampleConditions): ConditionBatch {
    const { index, slot } = this.resolve(conditions);
    const col = this.columns[index] as ConditionColumn;
    const cond = new Float32Array(size * this.condWidth);
    for (let i = 0; i < size; i++) cond[i * this.condWidth + col.condStart + slot] = 1;
    return { cond, conditionColumn: new Int32Array(size).fill(index), slot: new Int32Array(size).fill(slot) };
  }

  /** The condition column index and slot of `conditions` (validated as in {@link fixedBatch}). */
  resolve(conditions: SampleConditions): { index: number; slot: number } {
    const entries = Object.entries(conditions);
    if (entries.length !== 1) {
      throw new ConfigError(
        'too_many_conditions',
        `sampling can fix exactly one discrete column exactly; got ${entries.length} (${entries.map(([k]) => k).join(', ')})`,
      );
    }
    const [name, value] = entries[0] as [string, string];
    const all = this.transformer.state.columns;
    const info = all.find((c) => c.name === name);
    if (!info)
      throw new ConfigError(
        'unknown_condition_column',
        `condition column ${JSON.stringify(name)} is not a column the synthesizer was fitted on`,
        { issues: [{ code: 'unknown_condition_column', path: [name], message: 'unknown column' }] },
      );
    if (info.type !== 'discrete')
      throw new ConfigError(
        'numeric_condition_column',
        `condition column ${JSON.stringify(name)} is ${info.kind} with many values; conditions are on categorical, boolean or few-valued integer columns`,
        { issues: [{ code: 'numeric_condition_column', path: [name], message: `${info.kind} column` }] },
      );
    const slot = levelSlot(info, value);
    if (slot < 0)
      throw new ConfigError(
        'unknown_condition_value',
        `column ${JSON.stringify(name)} has no value ${JSON.stringify(value)} (values: ${info.levels.slice(0, 20).join(', ')}${info.levels.length > 20 ? ', …' : ''})`,
        { issues: [{ code: 'unknown_condition_value', path: [name, value], message: 'unknown value' }] },
      );
    return { index: this.columns.findIndex((c) => c.column === all.indexOf(info)), slot };
  }

  private draw(size: number, rng: Random, cumulatives: Float64Array[]): ConditionBatch {
    const cond = new Float32Array(size * this.condWidth);
    const conditionColumn = new Int32Array(size).fill(-1);
    const slot = new Int32Array(size);
    if (this.columns.length === 0) return { cond, conditionColumn, slot };
    for (let i = 0; i < size; i++) {
      const c = rng.int(this.columns.length);
      const s = pick(cumulatives[c] as Float64Array, rng.next());
      conditionColumn[i] = c;
      slot[i] = s;
      cond[i * this.condWidth + (this.columns[c] as ConditionColumn).condStart + s] = 1;
    }
    return { cond, conditionColumn, slot };
  }
}

/** The slot of a condition value: a level's text (booleans also take `1`/`0`). */
function levelSlot(info: DiscreteColumnInfo, value: string): number {
  const at = info.levels.indexOf(value);
  if (at >= 0) return at;
  if (info.kind === 'boolean') {
    const v = value.trim().toLowerCase();
    if (v === '1' || v === 'yes') return 1;
    if (v === '0' || v === 'no') return 0;
  }
  return -1;
}

function cumulative(weights: number[]): Float64Array {
  const total = weights.reduce((a, b) => a + b, 0) || 1;
  const out = new Float64Array(weights.length);
  let acc = 0;
  for (const [i, w] of weights.entries()) {
    acc += w / total;
    out[i] = acc;
  }
  return out;
}

/** Index of the first cumulative probability above u (the last slot with a non-zero one). */
function pick(cum: Float64Array, u: number): number {
  for (let i = 0; i < cum.length; i++) if (u < (cum[i] as number)) return i;
  let last = cum.length - 1;
  while (last > 0 && cum[last] === cum[last - 1]) last--;
  return last;
}

/**
 * Writes the condition into generated rows: the conditioned column's one-hot becomes exactly the
 * requested slot, so every row carries it by construction (the networks were conditioned on it
 * as well, so the rest of the row agrees with it).
 */
export function imposeConditions(
  x: Float32Array,
  nRows: number,
  width: number,
  sampler: ConditionSampler,
  batch: ConditionBatch,
): void {
  for (let r = 0; r < nRows; r++) {
    const c = batch.conditionColumn[r] as number;
    if (c < 0) continue;
    const col = sampler.columns[c] as ConditionColumn;
    const at = r * width + col.dataStart;
    x.fill(0, at, at + col.width);
    x[at + (batch.slot[r] as number)] = 1;
  }
}
