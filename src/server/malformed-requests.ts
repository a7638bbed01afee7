/**
 * Generators of malformed request bodies (fast-check), shared by the service's tests and the fuzz
 * benchmark (`bench/service-fuzz.ts`), so both throw the same kinds of bad input at the routes.
 * Tests and benchmarks only: fast-check is a development dependency. Each generator gives the body
 * as JSON text (or not quite JSON), ready to send.
 */
import fc from 'fast-check';

/** Any JSON value as text. */
export const anyJsonText = (): fc.Arbitrary<string> => fc.jsonValue().map((v) => JSON.stringify(v) ?? 'null');

/** Text cut short: at least one character, at most `cut` fewer than given (so JSON breaks mid-token). */
export const cutOff = (text: fc.Arbitrary<string>, cut = 7): fc.Arbitrary<string> =>
  text.map((t) => t.slice(0, Math.max(1, t.length - cut)));

/**
 * `valid` with one field (or an extra one) replaced by any value, under a fresh id
 * (`fuzz-N`): mostly refused, sometimes still a valid event.
 */
export function eventWithOneFieldReplaced(valid: Record<string, unknown>): fc.Arbitrary<string> {
  return fc
    .tuple(fc.constantFrom(...Object.keys(valid), 'extra'), fc.anything({ withNullPrototype: false }), fc.nat())
    .map(([field, value, n]) => JSON.stringify({ ...valid, id: `fuzz-${n}`, [field]: value }) ?? 'null');
}

/**
 * A valid login and a valid behaviour event at `timestamp` with every optional field set: the
 * templates the generators mutate, so the fuzzing covers every kind the event routes take.
 */
export function validActivityEvents(timestamp: string): {
  login: Record<string, unknown>;
  behaviour: Record<string, unknown>;
} {
  const common = { timestamp, customerId: 'c-fuzz', ipAddress: '192.0.2.10', deviceId: 'device-fuzz' };
  return {
    login: {
      kind: 'login',
      id: 'fuzz-login',
      ...common,
      success: false,
      failureReason: 'bad_password',
      method: 'password',
      channel: 'web',
      country: 'FR',
      latitude: 48.85,
      longitude: 2.35,
    },
    behaviour: {
      kind: 'behaviour',
      id: 'fuzz-behaviour',
      ...common,
      sessionId: 'session-fuzz',
      dwellTimeMs: 8200,
      clicks: 7,
      keystrokes: 31,
      pageViews: 2,
      action: 'add_payee',
      page: '/payees/new',
      channel: 'web',
    },
  };
}

/** The numeric fields of every kind of event, where absurd numbers go. */
const NUMERIC_FIELDS = ['amount', 'latitude', 'longitude', 'dwellTimeMs', 'clicks', 'keystrokes', 'pageViews'];

/**
 * `valid` with an absurd value where a number or time belongs, as text (so values JSON cannot
 * hold from a JS object, `1e999`, `-0`, 400-digit numbers, are sent as written): negative,
 * non-finite, over 10¹² or huge amounts, far-future or zone-less times, coordinates off the globe,
 * negative or huge dwell times and counts, a label that is not 0 or 1. The numeric fields are
 * those `valid` has (any kind of event).
 */
export function eventWithAbsurdValue(valid: Record<string, unknown>, nowMs = Date.now()): fc.Arbitrary<string> {
  const numbers = fc.oneof(
    fc.constantFrom('-1', '-0.01', '-1e-300', '1e13', '1e999', '-1e999', '1e308', '-0', '0e99999', 'NaN', 'Infinity'),
    fc.integer({ min: 20, max: 5000 }).map((digits) => '9'.repeat(digits)),
    fc.integer({ min: 20, max: 5000 }).map((digits) => `0.${'1'.repeat(digits)}e${digits}`),
    fc.double().map((x) => JSON.stringify(x)),
  );
  const times = fc.oneof(
    fc.constantFrom(
      '"9999-12-31T23:59:59Z"',
      '"+275760-09-13T00:00:00Z"',
      '"2026-02-30T00:00:00Z"',
      '"2018-04-01T00:00:00"',
      '"2018-04-01"',
      '"yesterday"',
      '""',
      '1522540800',
      '1e999',
    ),
    fc
      .integer({ min: 2 * 3600, max: 400 * 86_400 })
      .map((aheadSeconds) => JSON.stringify(new Date(nowMs + aheadSeconds * 1000).toISOString())),
  );
  const field = fc.oneof(
    fc.tuple(fc.constantFrom(...NUMERIC_FIELDS.filter((f) => f in valid)), numbers),
    fc.tuple(fc.constant('timestamp'), times),
  );
  return fc.tuple(field, fc.nat()).map(([[name, raw], n]) => {
    const rest = JSON.stringify({ ...valid, id: `absurd-${n}`, [name]: undefined });
    return `${rest.slice(0, -1)},${JSON.stringify(name)}:${raw}}`;
  });
}

/** Malformed bodies for the event routes: any JSON, one field replaced, plain strings, cut-off events. */
export function malformedEventBody(valid: Record<string, unknown>): fc.Arbitrary<string> {
  const mutated = eventWithOneFieldReplaced(valid);
  return fc.oneof(anyJsonText(), mutated, fc.string(), cutOff(mutated));
}

/** `value` with the part at `path` replaced by `by` (copies along the path; other parts shared). */
export function replaceAt(value: unknown, path: readonly (string | number)[], by: unknown): unknown {
  if (path.length === 0) return by;
  if (typeof value !== 'object' || value === null) return value;
  const [head, ...rest] = path as [string | number, ...(string | number)[]];
  const copy = (Array.isArray(value) ? [...value] : { ...value }) as Record<string | number, unknown>;
  copy[head] = replaceAt(copy[head], rest, by);
  return copy;
}

/** Paths into `examples/rules.json` worth replacing: the shape, lists, conditions, actions, ids. */
export const RULE_SET_PATHS: readonly (string | number)[][] = [
  ['version'],
  ['lists'],
  ['lists', 'blockedIps'],
  ['lists', 'blockedIps', 0],
  ['rules'],
  ['rules', 0],
  ['rules', 2, 'when'],
  ['rules', 2, 'when', 'all', 0, 'op'],
  ['rules', 2, 'when', 'all', 1, 'field'],
  ['rules', 3, 'when', 'all', 1, 'list'],
  ['rules', 4, 'severity'],
  ['rules', 6, 'when', 'all', 0, 'not'],
  ['rules', 1, 'action'],
  ['rules', 5, 'id'],
  ['extra'],
];

/**
 * Malformed bodies for `PUT /v1/rules`: any JSON, `example` (a valid set) with one part replaced
 * by any value under a version `fuzz-N` (N < 51, so versions repeat with other rules: 409s), and
 * plain strings.
 */
export function malformedRuleSetBody(example: Record<string, unknown>): fc.Arbitrary<string> {
  const mutated = fc
    .tuple(fc.constantFrom(...RULE_SET_PATHS), fc.anything({ withNullPrototype: false }), fc.nat(50))
    .map(([path, value, n]) => JSON.stringify(replaceAt({ ...example, version: `fuzz-${n}` }, path, value)) ?? 'null');
  return fc.oneof(anyJsonText(), mutated, fc.string());
}
