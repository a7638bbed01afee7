import { type BundleManifest, readBundle } from '../bundle/index.js';
import type { Table } from '../data/table.js';
import { BundleError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { Estimator } from '../models/estimator.js';
import { estimatorFromState } from '../models/index.js';
import { TabularPipeline } from '../preprocessing/index.js';

/**
 * A loaded, verified bundle ready to score: raw table in, model outputs out, through the same
 * preprocessing state that training fitted.
 */
export interface ScoringModel {
  dir: string;
  manifest: BundleManifest;
  pipeline: TabularPipeline;
  estimator: Estimator;
  /** Classification: n × k probabilities; regression: n × 1 predictions. */
  scoreTable(table: Table): Promise<Matrix>;
}

/**
 * Loads a bundle for scoring. Refuses a bundle whose checksums do not verify (see readBundle)
 * or whose preprocessing or model state cannot be rebuilt.
 *
 * @example
 * const model = await loadScoringModel('models/pd-v1');
 * const proba = await model.scoreTable(table);
 */
export async function loadScoringModel(dir: string): Promise<ScoringModel> {
  const { manifest, weights } = await readBundle(dir);
  let pipeline: TabularPipeline;
  let estimator: Estimator;
  try {
    pipeline = TabularPipeline.fromJSON(manifest.preprocessing as never);
    estimator = estimatorFromState(manifest.model, weights);
  } catch (cause) {
    throw new BundleError('bundle_invalid', `model bundle ${dir} could not be rebuilt: ${(cause as Error).message}`, {
      cause,
    });
  }
  return {
    dir,
    manifest,
    pipeline,
    estimator,
    scoreTable: (table) => estimator.predictProba(pipeline.transform(table)),
  };
}
