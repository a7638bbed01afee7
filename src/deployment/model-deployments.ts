/**
 * Which models the service runs: one champion, which decides, and any number of shadows, which
 * score every event beside it (their scores are kept, they decide nothing). All of them are
 * trained on the running feature spec, since one online feature state serves them all.
 * Deployments are recorded in the store and restored on restart.
 */
import { resolve } from 'node:path';
import { type Issue, VigilError } from '../errors.js';
import { auc } from '../evaluation/index.js';
import type { OnlineScorer, SpecModel } from '../scoring/index.js';
import type { DeploymentRecord, DeploymentRole, StateStore } from '../store/index.js';

/** A deployment refused: `code` is one of the codes below, mapped to a status by the HTTP layer. */
export class DeploymentError extends VigilError {}

/**
 * Codes of {@link DeploymentError}: `invalid_bundle` (does not load or verify), `feature_spec_mismatch`
 * (another spec than the online state's), `already_deployed`, `unknown_model`, `champion_not_removable`.
 */
export const DEPLOYMENT_ERROR_CODES = [
  'invalid_bundle',
  'feature_spec_mismatch',
  'already_deployed',
  'unknown_model',
  'champion_not_removable',
] as const;

/** A deployed model as `GET /v1/models` shows it. */
export interface ModelInfo {
  modelVersion: string;
  role: DeploymentRole;
  kind: string;
  specSha256: string;
  /** Scores at or above it decline (for a shadow: would decline). */
  threshold: number;
  path: string;
  deployedAt: string;
  /** Events it scored, over every run of the service on this store. */
  scored: number;
  /** Of those, events with a label (the latest label of each counts). */
  labelled: number;
  /** ROC AUC of its scores over the labelled events; null until both classes have a label. */
  auc: number | null;
}

interface Live {
  model: SpecModel;
  record: DeploymentRecord;
}

export interface ModelDeploymentsOptions {
  /** Loads and verifies a bundle directory (SpecModel.load with the service's engine). */
  load: (path: string) => Promise<SpecModel>;
  /** ms since the epoch (tests move it). */
  nowMs?: () => number;
}

/**
 * The deployed models of a service over one scorer.
 *
 * @example
 * const models = await ModelDeployments.restore(scorer, stateStore, { load: (p) => SpecModel.load(p) });
 * await models.deploy('models/fraud-lstm-v2', 'shadow');
 * models.list(); // champion and shadow, each with scored, labelled and auc
 */
export class ModelDeployments {
  private champion: Live;
  private readonly live = new Map<string, Live>();
  private shadowModels: SpecModel[] = [];
  private readonly nowMs: () => number;
  private deploying: Promise<unknown> = Promise.resolve();

  private constructor(
    private readonly scorer: OnlineScorer,
    private readonly store: StateStore,
    private readonly options: ModelDeploymentsOptions,
    champion: DeploymentRecord,
  ) {
    this.nowMs = options.nowMs ?? Date.now;
    this.champion = { model: scorer.champion, record: champion };
  }

  /**
   * The deployments of the store, with the scorer's champion (the `--model` flag) as champion:
   * recorded as such when the store had another. Recorded shadows are loaded again; one that no
   * longer loads, has changed on disk or has another spec is left out with a warning (its record
   * stays, so it returns once its bundle is back).
   */
  static async restore(
    scorer: OnlineScorer,
    store: StateStore,
    options: ModelDeploymentsOptions & { warn?: (message: string) => void },
  ): Promise<ModelDeployments> {
    const warn = options.warn ?? (() => {});
    const recorded = store.deployments();
    const champion = scorer.champion;
    let championRecord = recorded.find((d) => d.role === 'champion' && d.modelVersion === champion.modelVersion);
    if (championRecord === undefined)
      championRecord = store.recordDeployment(recordOf(champion, 'champion', (options.nowMs ?? Date.now)()));
    const deployments = new ModelDeployments(scorer, store, options, championRecord);
    for (const d of recorded) {
      if (d.role !== 'shadow' || d.modelVersion === champion.modelVersion) continue;
      let model: SpecModel;
      try {
        model = await options.load(d.path);
      } catch (error) {
        warn(
          `shadow model ${d.modelVersion} (${d.path}) not deployed: ${error instanceof Error ? error.message : String(error)}`,
        );
        continue;
      }
      const problem =
        model.modelVersion !== d.modelVersion
          ? `the bundle at ${d.path} is now ${model.modelVersion}`
          : model.specSha256 !== scorer.specSha256
            ? 'it was trained on another feature spec than the running model'
            : undefined;
      if (problem !== undefined) {
        warn(`shadow model ${d.modelVersion} not deployed: ${problem}`);
        model.retire();
        continue;
      }
      deployments.live.set(d.modelVersion, { model, record: d });
    }
    deployments.shadowModels = [...deployments.live.values()].map((l) => l.model);
    return deployments;
  }

  /** The shadows, which score every event and decide nothing. */
  get shadows(): readonly SpecModel[] {
    return this.shadowModels;
  }

  /** Every deployed model, champion first, with how many events it scored and its AUC on labelled ones. */
  list(): ModelInfo[] {
    return [this.champion, ...this.live.values()].map(({ record }) => {
      const { scored, labels, scores } = this.store.labelledScores(record.modelVersion, record.role);
      let value: number | null = null;
      let positives = 0;
      for (const y of labels) positives += y;
      if (positives > 0 && positives < labels.length) value = auc(labels, scores);
      return {
        modelVersion: record.modelVersion,
        role: record.role,
        kind: record.kind,
        specSha256: record.specSha256,
        threshold: record.threshold,
        path: record.path,
        deployedAt: new Date(record.deployedAtMs).toISOString(),
        scored,
        labelled: labels.length,
        auc: value,
      };
    });
  }

  /**
   * Loads, verifies and deploys the bundle at `path`. A champion replaces the one before at once
   * (events being scored finish with the old one); a shadow joins the others. A shadow deployed as
   * champion is promoted.
   *
   * @throws DeploymentError `invalid_bundle`, `feature_spec_mismatch`, `already_deployed`
   */
  deploy(path: string, role: DeploymentRole): Promise<ModelInfo> {
    // One deployment at a time: each checks what is deployed after the one before has landed.
    const next = this.deploying.then(() => this.deployNow(path, role));
    this.deploying = next.catch(() => {});
    return next;
  }

  private async deployNow(path: string, role: DeploymentRole): Promise<ModelInfo> {
    const dir = resolve(path);
    let model: SpecModel;
    try {
      model = await this.options.load(dir);
    } catch (cause) {
      const message = cause instanceof Error ? cause.message : String(cause);
      throw refusal('invalid_bundle', `the bundle at ${path} cannot be deployed: ${message}`, cause);
    }
    try {
      try {
        this.scorer.checkSpec(model);
      } catch (cause) {
        throw refusal('feature_spec_mismatch', (cause as Error).message, cause);
      }
      const version = model.modelVersion;
      if (version === this.champion.record.modelVersion)
        throw refusal('already_deployed', `model ${version} is the champion already`);
      if (role === 'shadow' && this.live.has(version))
        throw refusal('already_deployed', `model ${version} is deployed as a shadow already`);
    } catch (error) {
      model.retire();
      throw error;
    }
    const record = this.store.recordDeployment(recordOf(model, role, this.nowMs(), dir));
    if (role === 'champion') {
      const promoted = this.live.get(model.modelVersion);
      if (promoted !== undefined) {
        this.live.delete(model.modelVersion);
        promoted.model.retire();
      }
      this.scorer.replaceChampion(model).retire();
      this.champion = { model, record };
    } else this.live.set(model.modelVersion, { model, record });
    this.shadowModels = [...this.live.values()].map((l) => l.model);
    return this.list().find((m) => m.modelVersion === model.modelVersion) as ModelInfo;
  }

  /**
   * Takes a shadow out of service (its scores stay in the store).
   *
   * @throws DeploymentError `unknown_model`, `champion_not_removable` (deploy another champion instead)
   */
  remove(modelVersion: string): void {
    if (modelVersion === this.champion.record.modelVersion)
      throw refusal(
        'champion_not_removable',
        `model ${modelVersion} is the champion: deploy another champion to replace it`,
      );
    const live = this.live.get(modelVersion);
    if (live === undefined) throw refusal('unknown_model', `no shadow model ${modelVersion} is deployed`);
    this.store.retireDeployment(modelVersion, this.nowMs());
    this.live.delete(modelVersion);
    this.shadowModels = [...this.live.values()].map((l) => l.model);
    live.model.retire();
  }

  /** Frees the shadows' runtimes (the champion belongs to the scorer). */
  close(): void {
    for (const { model } of this.live.values()) model.retire();
    this.live.clear();
    this.shadowModels = [];
  }
}

function recordOf(model: SpecModel, role: DeploymentRole, atMs: number, dir = model.dir): Omit<DeploymentRecord, 'id'> {
  return {
    modelVersion: model.modelVersion,
    role,
    path: resolve(dir),
    kind: model.kind,
    specSha256: model.specSha256,
    threshold: model.bands.declineFrom,
    deployedAtMs: atMs,
  };
}

function refusal(code: (typeof DEPLOYMENT_ERROR_CODES)[number], message: string, cause?: unknown): DeploymentError {
  const issues: Issue[] = [{ code, path: code === 'unknown_model' ? ['version'] : ['path'], message }];
  return new DeploymentError(code, message, { issues, ...(cause === undefined ? {} : { cause }) });
}
