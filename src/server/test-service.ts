/**
 * Test support for the service suites (tests only): a small spec bundle trained from a simulated
 * stream, the stream's events as request bodies, and a JSON client for a loopback server.
 */
import { join } from 'node:path';
import { builtinFeatureSpec, transactionsFromCsv } from '../features/index.js';
import { writeTransactionsCsv } from '../simulation/index.js';
import { runTrainJob } from '../training/index.js';
import type { TransactionBody } from './request-schemas.js';

export interface TestStream {
  dataPath: string;
  bundleDir: string;
  /** Every transaction of the stream, in time order, as `POST /v1/events` bodies. */
  events: TransactionBody[];
}

/** Simulates a small stream into `dir` and trains a logistic model on fraud-behaviour (threads: 1). */
export async function trainTestStream(dir: string): Promise<TestStream> {
  const dataPath = join(dir, 'transactions.csv');
  await writeTransactionsCsv({ customers: 80, terminals: 160, days: 40, seed: 5 }, dataPath);
  const spec = builtinFeatureSpec('fraud-behaviour');
  const { bundleDir } = await runTrainJob({
    dataPath,
    target: 'TX_FRAUD',
    model: 'logistic',
    split: { kind: 'time', column: 'TX_DATETIME', testFrom: '2025-02-01' },
    seed: 1,
    epochs: 1,
    threads: 1,
    outDir: join(dir, 'bundle'),
    features: { spec },
  });
  const tx = await transactionsFromCsv(dataPath, spec);
  const events = Array.from({ length: tx.nRows }, (_, i): TransactionBody => {
    const e = tx.event(i);
    return {
      kind: 'transaction',
      id: tx.ids[i] as string,
      timestamp: new Date(e.timestampSeconds * 1000).toISOString(),
      customerId: String(e.customerId),
      terminalId: String(e.terminalId),
      amount: e.amount,
      ...(e.channel === undefined ? {} : { channel: e.channel }),
      ...(e.latitude === undefined || Number.isNaN(e.latitude) ? {} : { latitude: e.latitude }),
      ...(e.longitude === undefined || Number.isNaN(e.longitude) ? {} : { longitude: e.longitude }),
      ...(e.ipAddress === undefined ? {} : { ipAddress: e.ipAddress }),
      ...(e.deviceId === undefined ? {} : { deviceId: e.deviceId }),
    };
  });
  return { dataPath, bundleDir, events };
}

export interface JsonResponse {
  status: number;
  // biome-ignore lint/suspicious/noExplicitAny: test responses are inspected field by field
  body: any;
  text: string;
}

/** A request to a loopback server; `body` is sent as JSON unless it is already a string. */
export async function request(
  base: string,
  method: string,
  path: string,
  { body, key, contentType }: { body?: unknown; key?: string; contentType?: string } = {},
): Promise<JsonResponse> {
  const headers: Record<string, string> = {};
  if (body !== undefined) headers['content-type'] = contentType ?? 'application/json';
  if (key !== undefined) headers.authorization = `Bearer ${key}`;
  const response = await fetch(`${base}${path}`, {
    method,
    headers,
    ...(body === undefined ? {} : { body: typeof body === 'string' ? body : JSON.stringify(body) }),
  });
  const text = await response.text();
  let parsed: unknown;
  try {
    parsed = JSON.parse(text);
  } catch {
    parsed = undefined;
  }
  return { status: response.status, body: parsed, text };
}
