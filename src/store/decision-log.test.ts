import assert from 'node:assert/strict';
import { test } from 'node:test';
import { labelTargetOfStoredEvent, type StoredEvent, transactionOfStoredEvent } from './decision-log.js';

const bare: StoredEvent = {
  kind: 'transaction',
  id: 't1',
  timestamp: '2018-08-08T10:00:00.500Z',
  customerId: 'c-pseudonym',
  terminalId: 't7',
  amount: 12.5,
};
const full: StoredEvent = {
  ...bare,
  channel: 'web',
  country: 'DE',
  currency: 'EUR',
  latitude: 52.5,
  longitude: 13.4,
  ipAddress: 'ip-pseudonym',
  deviceId: 'device-pseudonym',
};

test('transactionOfStoredEvent: every field but kind, the time in seconds, no optional field made up', () => {
  const seconds = Date.parse(bare.timestamp) / 1000;
  assert.deepStrictEqual(transactionOfStoredEvent(bare), {
    id: 't1',
    timestampSeconds: seconds,
    customerId: 'c-pseudonym',
    terminalId: 't7',
    amount: 12.5,
  });
  const { kind: _kind, timestamp: _timestamp, ...rest } = full;
  assert.deepStrictEqual(transactionOfStoredEvent(full), { ...rest, timestampSeconds: seconds });
});

test('labelTargetOfStoredEvent: the ordinal given, the time and keys, IP and device only when the event has them', () => {
  const seconds = Date.parse(bare.timestamp) / 1000;
  assert.deepStrictEqual(labelTargetOfStoredEvent(bare, 41), {
    ordinal: 41,
    timestampSeconds: seconds,
    customerId: 'c-pseudonym',
    terminalId: 't7',
  });
  assert.deepStrictEqual(labelTargetOfStoredEvent(full, 42), {
    ordinal: 42,
    timestampSeconds: seconds,
    customerId: 'c-pseudonym',
    terminalId: 't7',
    ipAddress: 'ip-pseudonym',
    deviceId: 'device-pseudonym',
  });
});
