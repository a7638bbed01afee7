import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { describe, test } from 'node:test';
import type { Issue } from '../errors.js';
import {
  type Condition,
  compileRuleSet,
  type RuleContext,
  readRuleSetFile,
  ruleSetIssues,
  ruleSetSha256,
  stricterDecision,
} from './index.js';

const FEATURES = ['CUSTOMER_ID_NB_TX_1DAY_WINDOW', 'TERMINAL_ID_RISK_7DAY_WINDOW'];
const event = {
  kind: 'transaction',
  id: 't1',
  timestamp: '2026-12-03T08:00:00Z',
  customerId: 'c1',
  terminalId: 'm7',
  amount: 1500,
  country: 'FR',
  ipAddress: '203.0.113.7',
};
const context = (over: Partial<RuleContext> = {}): RuleContext => ({
  event,
  features: { CUSTOMER_ID_NB_TX_1DAY_WINDOW: 6, TERMINAL_ID_RISK_7DAY_WINDOW: Number.NaN },
  score: 0.12,
  ...over,
});
/** Whether one condition holds for `ctx`, through a one-rule set. */
function holds(when: Condition, ctx: RuleContext = context(), lists?: Record<string, (string | number)[]>): boolean {
  const set = compileRuleSet(
    {
      version: 'v1',
      ...(lists === undefined ? {} : { lists }),
      rules: [{ id: 'r', action: 'review', reason: 'x', when }],
    },
    { featureNames: FEATURES },
  );
  return set.evaluate(ctx).length === 1;
}
const codesAt = (issues: Issue[]) => issues.map((i) => `${i.code}@${i.path.join('.')}`);

describe('rules: conditions', () => {
  test('comparisons over event fields, features and the score', () => {
    const cases: [Condition, boolean][] = [
      [{ field: 'event.amount', op: '>', value: 1000 }, true],
      [{ field: 'event.amount', op: '>', value: 1500 }, false],
      [{ field: 'event.amount', op: '>=', value: 1500 }, true],
      [{ field: 'event.amount', op: '<', value: 1500 }, false],
      [{ field: 'event.amount', op: '<=', value: 1500 }, true],
      [{ field: 'event.amount', op: '==', value: 1500 }, true],
      [{ field: 'event.amount', op: '!=', value: 1500 }, false],
      [{ field: 'event.country', op: '==', value: 'FR' }, true],
      [{ field: 'event.country', op: '!=', value: 'DE' }, true],
      [{ field: 'features.CUSTOMER_ID_NB_TX_1DAY_WINDOW', op: '>=', value: 5 }, true],
      [{ field: 'features.CUSTOMER_ID_NB_TX_1DAY_WINDOW', op: '<', value: 5 }, false],
      [{ field: 'score', op: '>', value: 0.1 }, true],
      [{ field: 'score', op: '>', value: 0.2 }, false],
    ];
    for (const [when, expected] of cases) assert.equal(holds(when), expected, JSON.stringify(when));
  });

  test('a missing field, a feature without a value (NaN) or no score never compares true; exists tells them apart', () => {
    const missing: Condition[] = [
      { field: 'event.deviceId', op: '==', value: 'd1' },
      { field: 'event.deviceId', op: '!=', value: 'd1' },
      { field: 'event.deviceId', op: 'in', value: ['d1'] },
      { field: 'event.deviceId', op: 'notIn', value: ['d1'] },
      { field: 'event.latitude', op: '<', value: 90 },
      { field: 'features.TERMINAL_ID_RISK_7DAY_WINDOW', op: '>=', value: 0 },
      { field: 'features.TERMINAL_ID_RISK_7DAY_WINDOW', op: '<', value: 1 },
      { field: 'features.TERMINAL_ID_RISK_7DAY_WINDOW', op: '!=', value: 1 },
    ];
    for (const when of missing) assert.equal(holds(when), false, JSON.stringify(when));
    assert.equal(holds({ field: 'score', op: '<', value: 1 }, context({ score: Number.NaN })), false);
    assert.equal(holds({ field: 'event.deviceId', op: 'exists' }), false);
    assert.equal(holds({ field: 'event.ipAddress', op: 'exists' }), true);
    assert.equal(holds({ field: 'features.TERMINAL_ID_RISK_7DAY_WINDOW', op: 'exists' }), false);
    assert.equal(holds({ field: 'features.CUSTOMER_ID_NB_TX_1DAY_WINDOW', op: 'exists' }), true);
    assert.equal(holds({ not: { field: 'event.deviceId', op: 'exists' } }), true);
  });

  test('in and notIn over literal arrays and named lists', () => {
    const lists = { highRiskCountries: ['RU', 'FR'], blockedIps: ['198.51.100.1'], bigAmounts: [1500, 9999] };
    assert.equal(holds({ field: 'event.country', op: 'in', value: ['FR', 'DE'] }), true);
    assert.equal(holds({ field: 'event.country', op: 'notIn', value: ['FR', 'DE'] }), false);
    assert.equal(holds({ field: 'event.country', op: 'in', list: 'highRiskCountries' }, context(), lists), true);
    assert.equal(holds({ field: 'event.ipAddress', op: 'in', list: 'blockedIps' }, context(), lists), false);
    assert.equal(holds({ field: 'event.ipAddress', op: 'notIn', list: 'blockedIps' }, context(), lists), true);
    assert.equal(holds({ field: 'event.amount', op: 'in', list: 'bigAmounts' }, context(), lists), true);
  });

  test('all, any and not, nested', () => {
    const big = { field: 'event.amount', op: '>', value: 1000 } as const;
    const de = { field: 'event.country', op: '==', value: 'DE' } as const;
    const busy = { field: 'features.CUSTOMER_ID_NB_TX_1DAY_WINDOW', op: '>', value: 5 } as const;
    assert.equal(holds({ all: [big, busy] }), true);
    assert.equal(holds({ all: [big, de] }), false);
    assert.equal(holds({ any: [de, busy] }), true);
    assert.equal(holds({ any: [de, { not: big }] }), false);
    assert.equal(holds({ not: { all: [big, de] } }), true);
    assert.equal(holds({ all: [{ any: [de, { not: de }] }, { not: { not: busy } }] }), true);
    assert.equal(holds({ all: [big] }), true);
  });
});

describe('rules: login and behaviour events', () => {
  const loginContext = (success: boolean): RuleContext => ({
    event: { kind: 'login', id: 'l1', timestamp: event.timestamp, customerId: 'c1', success, deviceId: 'd1' },
    features: {},
    score: Number.NaN,
  });
  const behaviourContext: RuleContext = {
    event: { kind: 'behaviour', id: 'b1', timestamp: event.timestamp, customerId: 'c1', dwellTimeMs: 300, clicks: 40 },
    features: {},
    score: Number.NaN,
  };
  test('booleans compare with == and !=; fields of another kind are missing', () => {
    const failedLogin: Condition = {
      all: [
        { field: 'event.kind', op: '==', value: 'login' },
        { field: 'event.success', op: '==', value: false },
      ],
    };
    assert.equal(holds(failedLogin, loginContext(false)), true);
    assert.equal(holds(failedLogin, loginContext(true)), false);
    assert.equal(holds(failedLogin, context()), false, 'a transaction has no success');
    assert.equal(holds({ field: 'event.success', op: '!=', value: true }, context()), false, '!= on a missing field');
    assert.equal(holds({ field: 'event.success', op: 'exists' }, loginContext(true)), true);
    assert.equal(holds({ field: 'event.clicks', op: '>', value: 30 }, behaviourContext), true);
    assert.equal(holds({ field: 'event.dwellTimeMs', op: '<', value: 500 }, behaviourContext), true);
    assert.equal(holds({ field: 'event.amount', op: '<', value: 1e6 }, behaviourContext), false);
    // The trap a rule for transactions falls into: not of a missing comparison is true.
    assert.equal(holds({ not: { field: 'event.amount', op: '<', value: 1e6 } }, behaviourContext), true);
    assert.equal(
      holds({ field: 'features.CUSTOMER_ID_NB_TX_1DAY_WINDOW', op: '>=', value: 0 }, behaviourContext),
      false,
    );
    assert.equal(holds({ field: 'score', op: '>=', value: 0 }, behaviourContext), false);
  });
  test('a boolean field refuses ordering and values of other types', () => {
    const issues = ruleSetIssues(
      {
        version: 'v1',
        rules: [
          { id: 'a', action: 'review', reason: 'x', when: { field: 'event.success', op: '>', value: 0 } },
          { id: 'b', action: 'review', reason: 'x', when: { field: 'event.success', op: '==', value: 'false' } },
          { id: 'c', action: 'review', reason: 'x', when: { field: 'event.clicks', op: '==', value: true } },
        ],
      },
      { featureNames: FEATURES },
    );
    assert.deepEqual(codesAt(issues), [
      'invalid_type@rules.0.when.op',
      'invalid_type@rules.1.when.value',
      'invalid_type@rules.2.when.value',
    ]);
  });
});

describe('rules: evaluation and decisions', () => {
  const set = compileRuleSet(
    {
      version: '2026-12-03.1',
      rules: [
        {
          id: 'watch',
          action: 'alert',
          severity: 'high',
          reason: 'large amount',
          when: { field: 'event.amount', op: '>', value: 1000 },
        },
        {
          id: 'off',
          action: 'decline',
          reason: 'disabled',
          enabled: false,
          when: { field: 'event.amount', op: '>', value: 0 },
        },
        { id: 'fr', action: 'review', reason: 'country FR', when: { field: 'event.country', op: '==', value: 'FR' } },
        { id: 'no', action: 'decline', reason: 'never', when: { field: 'event.country', op: '==', value: 'XX' } },
        { id: 'alert-default', action: 'alert', reason: 'any', when: { field: 'score', op: '>=', value: 0 } },
      ],
    },
    { featureNames: FEATURES },
  );

  test('hits come in rule order with action, reason and (for alerts) severity; disabled rules never hit', () => {
    assert.deepEqual(set.evaluate(context()), [
      { id: 'watch', action: 'alert', reason: 'large amount', severity: 'high' },
      { id: 'fr', action: 'review', reason: 'country FR' },
      { id: 'alert-default', action: 'alert', reason: 'any', severity: 'medium' },
    ]);
    assert.equal(set.ruleCount, 5);
    assert.equal(set.version, '2026-12-03.1');
    assert.equal(set.sha256, ruleSetSha256(set.ruleSet));
    assert.match(set.sha256, /^[0-9a-f]{64}$/);
  });

  test('the decision is the stricter of the model band and the rule actions; alerts change nothing', () => {
    const hit = (action: 'review' | 'decline' | 'alert') => ({ id: action, action, reason: action });
    assert.equal(stricterDecision('approve', []), 'approve');
    assert.equal(stricterDecision('approve', [hit('alert')]), 'approve');
    assert.equal(stricterDecision('approve', [hit('review')]), 'review');
    assert.equal(stricterDecision('review', [hit('decline'), hit('review')]), 'decline');
    assert.equal(stricterDecision('decline', [hit('review'), hit('alert')]), 'decline');
    assert.equal(stricterDecision('review', [hit('alert')]), 'review');
  });
});

describe('rules: pseudonymised identifiers', () => {
  const key = 'k'.repeat(40);
  const pseudonyms = {
    fields: ['customerId', 'ipAddress', 'deviceId'],
    pseudonymise: (field: string, value: string) =>
      createHmac('sha256', key).update(`${field}:${value}`).digest('hex').slice(0, 32),
  };
  const raw = {
    version: 'p1',
    lists: { blockedIps: ['203.0.113.7', '198.51.100.1'], highRiskCountries: ['FR'] },
    rules: [
      {
        id: 'ip',
        action: 'decline',
        reason: 'blocked IP',
        when: { field: 'event.ipAddress', op: 'in', list: 'blockedIps' },
      },
      {
        id: 'card',
        action: 'review',
        reason: 'watched card',
        when: { field: 'event.customerId', op: '==', value: 'c1' },
      },
      {
        id: 'country',
        action: 'alert',
        reason: 'risky country',
        when: { field: 'event.country', op: 'in', list: 'highRiskCountries' },
      },
    ],
  };

  test('lists and values compared with personal identifiers match the pseudonymised event and are kept as pseudonyms', () => {
    const set = compileRuleSet(raw, { featureNames: FEATURES, pseudonyms });
    const pseudoEvent = {
      ...event,
      customerId: pseudonyms.pseudonymise('customerId', 'c1'),
      ipAddress: pseudonyms.pseudonymise('ipAddress', '203.0.113.7'),
    };
    assert.deepEqual(
      set.evaluate(context({ event: pseudoEvent })).map((h) => h.id),
      ['ip', 'card', 'country'],
    );
    // The raw event does not match: the rules compare pseudonyms only.
    assert.deepEqual(
      set.evaluate(context()).map((h) => h.id),
      ['country'],
    );
    const kept = JSON.stringify(set.ruleSet);
    for (const value of ['203.0.113.7', '198.51.100.1', '"c1"']) assert.ok(!kept.includes(value), value);
    assert.ok(kept.includes('"FR"'), 'values of other fields stay as written');
    assert.equal(set.ruleSet.pseudonymised, true);
    // The kept form compiles to the same set and is not pseudonymised twice.
    const again = compileRuleSet(set.ruleSet, { featureNames: FEATURES, pseudonyms });
    assert.equal(again.sha256, set.sha256);
    assert.deepEqual(
      again.evaluate(context({ event: pseudoEvent })).map((h) => h.id),
      ['ip', 'card', 'country'],
    );
  });

  test('a list compared with a personal identifier serves that field only', () => {
    const issues = ruleSetIssues(
      {
        version: 'p2',
        lists: { ids: ['x'] },
        rules: [
          { id: 'a', action: 'review', reason: 'x', when: { field: 'event.ipAddress', op: 'in', list: 'ids' } },
          { id: 'b', action: 'review', reason: 'x', when: { field: 'event.deviceId', op: 'in', list: 'ids' } },
        ],
      },
      { pseudonyms },
    );
    assert.deepEqual(codesAt(issues), ['list_field_mismatch@rules.1.when.list']);
  });
});

describe('rules: validation', () => {
  test('every problem of a bad set is listed with its JSON path', () => {
    const issues = ruleSetIssues(
      {
        version: '',
        colour: 'red',
        lists: { blockedIps: ['1.2.3.4', 5], '9bad': [] },
        rules: [
          { id: 'a', action: 'block', reason: 'x', when: { field: 'event.amount', op: '>', value: 'big' } },
          { id: 'a', action: 'review', reason: '', when: { field: 'event.colour', op: '==', value: 'red' } },
          {
            id: 'c',
            action: 'decline',
            reason: 'x',
            severity: 'high',
            when: { field: 'features.NOPE', op: '>', value: 1 },
          },
          {
            id: 'd',
            action: 'alert',
            reason: 'x',
            severity: 'urgent',
            when: { field: 'score', op: 'between', value: 1 },
          },
          { id: 'e', action: 'review', reason: 'x', when: { field: 'event.ipAddress', op: 'in', list: 'allowedIps' } },
          {
            id: 'f',
            action: 'review',
            reason: 'x',
            when: { any: [{ field: 'event.country', op: '>', value: 'A' }, { all: [] }] },
          },
          { id: 'g', action: 'review', reason: 'x', when: { field: 'event.amount', op: 'in', value: [1, 'two'] } },
          { id: 'h', action: 'review', reason: 'x', when: { field: 'event.amount', op: 'exists', value: 1 } },
          {
            id: 'i',
            action: 'review',
            reason: 'x',
            when: { field: 'event.amount', op: 'in', value: [1], list: 'blockedIps' },
          },
          { id: 'j', action: 'review', reason: 'x', when: { not: { field: 'amount', op: '==', value: 1 }, extra: 1 } },
          { id: 'k', action: 'review', reason: 'x', when: { field: 'event.amount', op: '>', value: 1, all: [] } },
          { id: 'l', action: 'review', reason: 'x', enabled: 'yes' },
          'not a rule',
        ],
      },
      { featureNames: FEATURES },
    );
    assert.deepEqual(codesAt(issues), [
      'unknown_field@colour',
      'invalid_version@version',
      'invalid_type@lists.blockedIps.1',
      'invalid_name@lists.9bad',
      'unknown_action@rules.0.action',
      'invalid_type@rules.0.when.value',
      'duplicate_id@rules.1.id',
      'invalid_type@rules.1.reason',
      'unknown_event_field@rules.1.when.field',
      'severity_without_alert@rules.2.severity',
      'unknown_feature@rules.2.when.field',
      'unknown_severity@rules.3.severity',
      'unknown_op@rules.3.when.op',
      'unknown_list@rules.4.when.list',
      'invalid_type@rules.5.when.any.0.op',
      'invalid_type@rules.5.when.any.1.all',
      'invalid_type@rules.6.when.value.1',
      'unknown_field@rules.7.when.value',
      'invalid_condition@rules.8.when',
      'unknown_field@rules.9.when.extra',
      'unknown_field_ref@rules.9.when.not.field',
      'invalid_condition@rules.10.when',
      'invalid_type@rules.11.enabled',
      'missing_field@rules.11.when',
      'invalid_type@rules.12',
    ]);
    for (const issue of issues) assert.ok(issue.message.length > 0);
  });

  test('compileRuleSet throws invalid_rules with the issues; a set that is not an object, or has no rules, is one issue', () => {
    assert.throws(
      () =>
        compileRuleSet({ version: 'v', rules: [{ id: 'x', action: 'review', reason: 'r', when: { field: 'score' } }] }),
      (e: unknown) => {
        const err = e as { code: string; issues: Issue[] };
        assert.equal(err.code, 'invalid_rules');
        assert.deepEqual(codesAt(err.issues), ['missing_field@rules.0.when.op']);
        return true;
      },
    );
    assert.deepEqual(codesAt(ruleSetIssues([1])), ['invalid_type@']);
    assert.deepEqual(codesAt(ruleSetIssues({ version: 'v' })), ['missing_field@rules']);
    // Without the bundle's feature names any feature name is accepted.
    assert.deepEqual(
      ruleSetIssues({
        version: 'v',
        rules: [{ id: 'x', action: 'review', reason: 'r', when: { field: 'features.ANY', op: '>', value: 1 } }],
      }),
      [],
    );
    assert.equal(compileRuleSet({ version: 'empty', rules: [] }).evaluate(context()).length, 0);
  });

  test('examples/rules.json loads against the fraud-behaviour features', async () => {
    const { builtinFeatureSpec, FeatureExecutor } = await import('../features/index.js');
    const featureNames = new FeatureExecutor(builtinFeatureSpec('fraud-behaviour')).featureNames;
    const set = await readRuleSetFile(new URL('../../examples/rules.json', import.meta.url).pathname, { featureNames });
    assert.ok(set.ruleCount >= 4);
    const text = await readFile(new URL('../../examples/rules.json', import.meta.url), 'utf8');
    assert.equal(JSON.parse(text).version, set.version);
    await assert.rejects(() => readRuleSetFile('/nonexistent/rules.json'), { code: 'unreadable_rules' });
  });
});
