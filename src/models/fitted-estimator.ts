import { NotFittedError } from '../errors.js';
import type { Matrix } from '../matrix.js';
import type { EpochLogs, Estimator, EstimatorState, FitOptions, NamedWeight, Target, Task } from './estimator.js';
import { predictionFromScores, probaFromScores } from './link.js';

/** What every fitted model records about its inputs and outputs. */
export interface FittedShape {
  nInputs: number;
  nOutputs: number;
}

/**
 * The part every Vigil model shares: parameters kept as given, learned state that exists only
 * after `fit` (else `NotFittedError`), and outputs derived from one `decisionFunction` (logits,
 * or predictions for regression) so all models agree on what `predictProba` and `predict` mean.
 */
export abstract class FittedEstimator<P extends { task?: Task }, S extends FittedShape> implements Estimator<P> {
  abstract readonly kind: string;
  readonly params: P;
  protected state: S | undefined;

  constructor(params: P) {
    this.params = params;
  }

  get task(): Task {
    return this.params.task ?? 'binary';
  }

  get nOutputs(): number {
    return this.fitted().nOutputs;
  }

  /** Number of input columns seen by `fit`. */
  get nInputs(): number {
    return this.fitted().nInputs;
  }

  abstract get history(): EpochLogs[];
  abstract fit(x: Matrix, y: Target, options?: FitOptions): Promise<this>;
  /** Raw scores: logits for classification (n × 1 binary, n × k multiclass), predictions for regression. */
  abstract decisionFunction(x: Matrix): Promise<Matrix>;
  abstract getWeights(): NamedWeight[];
  /** Fitted scalars beyond the shape, saved in the bundle next to the weights. */
  protected abstract extraState(state: S): Record<string, unknown>;

  async predictProba(x: Matrix): Promise<Matrix> {
    return probaFromScores(this.task, await this.decisionFunction(x));
  }

  async predict(x: Matrix): Promise<Float32Array> {
    return predictionFromScores(this.task, await this.decisionFunction(x));
  }

  toJSON(): EstimatorState {
    const s = this.fitted();
    return {
      kind: this.kind,
      task: this.task,
      params: this.params,
      nInputs: s.nInputs,
      nOutputs: s.nOutputs,
      extra: this.extraState(s),
    };
  }

  protected fitted(): S {
    if (this.state === undefined) throw new NotFittedError(this.constructor.name);
    return this.state;
  }
}
