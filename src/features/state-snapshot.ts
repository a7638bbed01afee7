import { createHash } from 'node:crypto';
import { ConfigError, DataError } from '../errors.js';
import { EntityState } from './entity-state.js';
import { FeatureExecutor, type Group } from './feature-executor.js';
import type { FeatureSpec } from './feature-spec.js';

/** The snapshot format; a reader refuses any other. */
export const FEATURE_STATE_FORMAT = 'vigil-feature-state/1';

/** One entity's state; typed arrays as base64 of their little-endian float64 bytes. */
interface EntitySnapshot {
  id: string;
  events: string;
  end: number;
  cursors: string;
  lastSeconds: number | null;
  lastLocatedSeconds: number | null;
  lastLatitude: number;
  lastLongitude: number;
  novelty: string[];
  noveltyStored: string;
  sequence: string;
  sequenceCount: number;
  sequenceHead: number;
}

/** An executor's whole state as plain JSON: write it with JSON.stringify, read it with {@link restoreFeatureState}. */
export interface FeatureStateSnapshot {
  format: typeof FEATURE_STATE_FORMAT;
  /** sha256 of the spec's JSON: state is only meaningful for the spec that made it. */
  specSha256: string;
  latestSeconds: number | null;
  seen: number;
  groups: { key: string; entities: EntitySnapshot[] }[];
}

/** The sha256 of a spec's canonical JSON, recorded in snapshots and bundles. */
export function featureSpecSha256(spec: FeatureSpec): string {
  return createHash('sha256').update(JSON.stringify(spec)).digest('hex');
}

function encode(values: Float64Array): string {
  return Buffer.from(values.buffer, values.byteOffset, values.byteLength).toString('base64');
}

function decode(text: string, what: string): Float64Array {
  const bytes = Buffer.from(text, 'base64');
  if (bytes.byteLength % 8 !== 0)
    throw new DataError('bad_feature_state', `feature state: ${what} is not float64 data`);
  const out = new Float64Array(bytes.byteLength / 8);
  new Uint8Array(out.buffer).set(bytes);
  return out;
}

const finiteOrNull = (x: number): number | null => (Number.isFinite(x) ? x : null);

/** The executor's state: every entity of every key, with what it holds. */
export function snapshotFeatureState(executor: FeatureExecutor): FeatureStateSnapshot {
  return {
    format: FEATURE_STATE_FORMAT,
    specSha256: featureSpecSha256(executor.spec),
    latestSeconds: finiteOrNull(executor.latestSeconds),
    seen: executor.seen,
    groups: executor.groups.map((group) => ({
      key: group.key,
      entities: [...group.entities].map(([id, e]) => ({
        id,
        events: encode(e.events.subarray(0, e.end * e.stride)),
        end: e.end,
        cursors: encode(e.cursors),
        lastSeconds: finiteOrNull(e.lastSeconds),
        lastLocatedSeconds: finiteOrNull(e.lastLocatedSeconds),
        lastLatitude: e.lastLatitude,
        lastLongitude: e.lastLongitude,
        novelty: e.novelty.map(encode),
        noveltyStored: encode(e.noveltyStored),
        sequence: encode(e.sequence),
        sequenceCount: e.sequenceCount,
        sequenceHead: e.sequenceHead,
      })),
    })),
  };
}

/**
 * An executor for `spec` in the state of the snapshot; it continues exactly as the one that was
 * snapshotted would have. Refuses a snapshot of another spec or format.
 */
export function restoreFeatureState(spec: FeatureSpec, snapshot: FeatureStateSnapshot): FeatureExecutor {
  if (snapshot?.format !== FEATURE_STATE_FORMAT)
    throw new DataError(
      'bad_feature_state',
      `feature state: format '${snapshot?.format}' is not ${FEATURE_STATE_FORMAT}`,
    );
  if (snapshot.specSha256 !== featureSpecSha256(spec))
    throw new ConfigError(
      'feature_state_mismatch',
      `feature state was made with another feature spec (sha256 ${snapshot.specSha256.slice(0, 12)}…, this spec ${featureSpecSha256(spec).slice(0, 12)}…)`,
    );
  const executor = new FeatureExecutor(spec);
  executor.latestSeconds = snapshot.latestSeconds ?? Number.NEGATIVE_INFINITY;
  executor.seen = snapshot.seen;
  for (const saved of snapshot.groups) {
    const group = executor.groups.find((g) => g.key === saved.key) as Group | undefined;
    if (group === undefined) throw new DataError('bad_feature_state', `feature state: unknown key '${saved.key}'`);
    for (const s of saved.entities) group.entities.set(s.id, restoreEntity(group, s));
  }
  return executor;
}

function restoreEntity(group: Group, s: EntitySnapshot): EntityState {
  const held = decode(s.events, `events of ${s.id}`);
  const cursors = decode(s.cursors, `cursors of ${s.id}`);
  const novelty = s.novelty.map((n, k) => decode(n, `memory ${k} of ${s.id}`));
  const sequence = decode(s.sequence, `sequence of ${s.id}`);
  if (
    held.length !== s.end * group.stride ||
    cursors.length !== group.windows.length * 3 + group.delays.length ||
    novelty.length !== group.noveltyMemories.length ||
    sequence.length !== group.sequenceSlots
  )
    throw new DataError('bad_feature_state', `feature state: entity '${s.id}' of ${group.key} does not fit the spec`);
  const entity = new EntityState(
    group.stride,
    cursors.length,
    group.noveltyMemories,
    sequence.length,
    Math.max(4, 2 ** Math.ceil(Math.log2(Math.max(1, s.end)))),
  );
  entity.events.set(held);
  entity.end = s.end;
  entity.cursors.set(cursors);
  entity.sequence.set(sequence);
  novelty.forEach((n, k) => {
    (entity.novelty[k] as Float64Array).set(n);
  });
  entity.noveltyStored.set(decode(s.noveltyStored, `memory counts of ${s.id}`));
  entity.lastSeconds = s.lastSeconds ?? Number.NaN;
  entity.lastLocatedSeconds = s.lastLocatedSeconds ?? Number.NaN;
  entity.lastLatitude = s.lastLatitude;
  entity.lastLongitude = s.lastLongitude;
  entity.sequenceCount = s.sequenceCount;
  entity.sequenceHead = s.sequenceHead;
  return entity;
}
