import { createWriteStream } from 'node:fs';
import { pipeline } from 'node:stream/promises';
import { createGzip } from 'node:zlib';
import { ConfigError } from '../errors.js';
import { Random } from '../random.js';

/** What `vigil simulate` takes. */
export interface TransactionSimulationOptions {
  customers: number;
  terminals: number;
  days: number;
  seed: number;
  /** First day, YYYY-MM-DD (UTC); default 2025-01-01. */
  startDate?: string;
}

/** Fraud scenarios, as written in TX_FRAUD_SCENARIO. */
export const FRAUD_SCENARIOS = {
  genuine: 0,
  largeAmount: 1,
  compromisedTerminal: 2,
  compromisedCard: 3,
  accountTakeover: 4,
} as const;

/** One simulated transaction. */
export interface SimulatedTransaction {
  timestampSeconds: number;
  customerId: number;
  terminalId: number;
  amount: number;
  channel: 'pos' | 'online';
  /** Present for pos transactions. */
  latitude?: number;
  longitude?: number;
  /** Present for online transactions. */
  ipAddress?: string;
  deviceId?: string;
  fraud: 0 | 1;
  scenario: number;
}

export const TRANSACTION_COLUMNS = [
  'TRANSACTION_ID',
  'TX_DATETIME',
  'CUSTOMER_ID',
  'TERMINAL_ID',
  'TX_AMOUNT',
  'CHANNEL',
  'LATITUDE',
  'LONGITUDE',
  'IP_ADDRESS',
  'DEVICE_ID',
  'TX_FRAUD',
  'TX_FRAUD_SCENARIO',
] as const;

const DAY_SECONDS = 86_400;
/** The map: a square region about 300 km across around the centre of France. */
const REGION_KM = 300;
const CENTRE_LAT = 46.5;
const CENTRE_LON = 2.5;
const KM_PER_DEGREE = 111.2;
/** Customers shop at terminals within this distance of home. */
const NEARBY_KM = 12;
/** Share of terminals that are online merchants (no location). */
const ONLINE_MERCHANT_SHARE = 0.05;
const LARGE_AMOUNT = 220;
const TERMINAL_COMPROMISE_DAYS = 28;
const CARD_COMPROMISE_DAYS = 14;
/** Per day: compromised terminals per terminal, compromised cards and takeovers per customer. */
const TERMINAL_COMPROMISE_RATE = 2 / 10_000;
const CARD_COMPROMISE_RATE = 3 / 5_000;
const TAKEOVER_RATE = 1.5 / 5_000;

interface Customer {
  xKm: number;
  yKm: number;
  meanAmount: number;
  stdAmount: number;
  txPerDay: number;
  onlineShare: number;
  terminals: number[];
  devices: string[];
  ips: string[];
  compromisedUntilDay: number;
}

interface Terminal {
  xKm: number;
  yKm: number;
  online: boolean;
  compromisedUntilDay: number;
}

function checkOptions(o: TransactionSimulationOptions): number {
  const bounded = (flag: string, v: number, max: number) => {
    if (!(Number.isInteger(v) && v >= 1 && v <= max))
      throw new ConfigError('invalid_flag', `${flag} must be an integer 1–${max}, got ${v}`);
  };
  bounded('--customers', o.customers, 1_000_000);
  bounded('--terminals', o.terminals, 1_000_000);
  bounded('--days', o.days, 3660);
  if (!(Number.isInteger(o.seed) && o.seed >= 0))
    throw new ConfigError('invalid_flag', `--seed must be an integer ≥ 0, got ${o.seed}`);
  const start = o.startDate ?? '2025-01-01';
  const ms = Date.parse(`${start}T00:00:00Z`);
  if (!/^\d{4}-\d{2}-\d{2}$/.test(start) || Number.isNaN(ms))
    throw new ConfigError('invalid_flag', `--start-date must be a date YYYY-MM-DD, got ${JSON.stringify(start)}`);
  return ms / 1000;
}

function hex(random: Random, digits: number): string {
  let s = '';
  for (let i = 0; i < digits; i++) s += '0123456789abcdef'[random.int(16)];
  return s;
}

function ip(random: Random): string {
  return `${11 + random.int(200)}.${random.int(256)}.${random.int(256)}.${1 + random.int(254)}`;
}

function latLon(xKm: number, yKm: number): [number, number] {
  const lat = CENTRE_LAT + (yKm - REGION_KM / 2) / KM_PER_DEGREE;
  const lon = CENTRE_LON + (xKm - REGION_KM / 2) / (KM_PER_DEGREE * Math.cos((lat * Math.PI) / 180));
  return [Math.round(lat * 1e5) / 1e5, Math.round(lon * 1e5) / 1e5];
}

function poisson(random: Random, mean: number): number {
  let k = 0;
  let p = Math.exp(-mean);
  let s = p;
  const u = random.next();
  while (u > s && k < 100) {
    k++;
    p *= mean / k;
    s += p;
  }
  return k;
}

/**
 * A stream of card and online transactions, a day at a time in time order: customers with homes,
 * habits, devices and IPs; terminals on a map; and four fraud scenarios (see docs/simulator.md).
 * The same options and seed always give the same stream.
 */
export function* simulateTransactions(options: TransactionSimulationOptions): Generator<SimulatedTransaction[]> {
  const startSeconds = checkOptions(options);
  const random = new Random(options.seed);
  const terminals: Terminal[] = Array.from({ length: options.terminals }, () => ({
    xKm: random.next() * REGION_KM,
    yKm: random.next() * REGION_KM,
    online: random.next() < ONLINE_MERCHANT_SHARE,
    compromisedUntilDay: -1,
  }));
  const shops = terminals.flatMap((t, i) => (t.online ? [] : [i]));
  const merchants = terminals.flatMap((t, i) => (t.online ? [i] : []));
  if (merchants.length === 0) merchants.push(0);
  if (shops.length === 0) shops.push(0);
  // A grid of cells so finding nearby terminals does not scan them all for every customer.
  const cellKm = NEARBY_KM;
  const cells = new Map<string, number[]>();
  for (const i of shops) {
    const t = terminals[i] as Terminal;
    const key = `${Math.floor(t.xKm / cellKm)},${Math.floor(t.yKm / cellKm)}`;
    (cells.get(key) ?? cells.set(key, []).get(key))?.push(i);
  }
  const customers: Customer[] = Array.from({ length: options.customers }, () => {
    const xKm = random.next() * REGION_KM;
    const yKm = random.next() * REGION_KM;
    const meanAmount = 5 + random.next() * 95;
    const nearby: number[] = [];
    const cx = Math.floor(xKm / cellKm);
    const cy = Math.floor(yKm / cellKm);
    for (let dx = -1; dx <= 1; dx++)
      for (let dy = -1; dy <= 1; dy++)
        for (const i of cells.get(`${cx + dx},${cy + dy}`) ?? []) {
          const t = terminals[i] as Terminal;
          if (Math.hypot(t.xKm - xKm, t.yKm - yKm) <= NEARBY_KM) nearby.push(i);
        }
    if (nearby.length === 0) nearby.push(shops[random.int(shops.length)] as number);
    return {
      xKm,
      yKm,
      meanAmount,
      stdAmount: meanAmount / 2,
      txPerDay: random.next() * 4,
      onlineShare: random.next() * 0.5,
      terminals: nearby,
      devices: Array.from({ length: 1 + random.int(2) }, () => `d${hex(random, 12)}`),
      ips: Array.from({ length: 1 + random.int(3) }, () => ip(random)),
      compromisedUntilDay: -1,
    };
  });
  const rate = (perDay: number) => {
    // Expected events a day as a whole part plus a chance for the fraction: small worlds still get some.
    const whole = Math.floor(perDay);
    return whole + (random.next() < perDay - whole ? 1 : 0);
  };
  for (let day = 0; day < options.days; day++) {
    const dayStart = startSeconds + day * DAY_SECONDS;
    for (let k = rate(options.terminals * TERMINAL_COMPROMISE_RATE); k > 0; k--)
      (terminals[random.int(terminals.length)] as Terminal).compromisedUntilDay = day + TERMINAL_COMPROMISE_DAYS;
    for (let k = rate(options.customers * CARD_COMPROMISE_RATE); k > 0; k--)
      (customers[random.int(customers.length)] as Customer).compromisedUntilDay = day + CARD_COMPROMISE_DAYS;
    const rows: SimulatedTransaction[] = [];
    for (let c = 0; c < customers.length; c++) {
      const customer = customers[c] as Customer;
      const n = poisson(random, customer.txPerDay);
      for (let j = 0; j < n; j++) {
        const second = Math.min(DAY_SECONDS - 1, Math.max(0, Math.round(random.normal(DAY_SECONDS / 2, 5 * 3600))));
        let amount = random.normal(customer.meanAmount, customer.stdAmount);
        if (amount <= 0) amount = random.next() * customer.meanAmount * 2;
        const online = random.next() < customer.onlineShare;
        let terminalId = online
          ? (merchants[random.int(merchants.length)] as number)
          : (customer.terminals[random.int(customer.terminals.length)] as number);
        let scenario: number = FRAUD_SCENARIOS.genuine;
        if (day <= customer.compromisedUntilDay && random.next() < 1 / 3) {
          // A stolen card number: bigger amounts, often far from home.
          amount *= 5;
          scenario = FRAUD_SCENARIOS.compromisedCard;
          if (!online && random.next() < 0.5) terminalId = shops[random.int(shops.length)] as number;
        }
        const terminal = terminals[terminalId] as Terminal;
        if (day <= terminal.compromisedUntilDay) scenario = FRAUD_SCENARIOS.compromisedTerminal;
        const tx: SimulatedTransaction = {
          timestampSeconds: dayStart + second,
          customerId: c,
          terminalId,
          amount: Math.max(0.01, Math.round(amount * 100) / 100),
          channel: online ? 'online' : 'pos',
          fraud: 0,
          scenario,
        };
        if (online) {
          tx.deviceId = customer.devices[random.int(customer.devices.length)];
          // Now and then a genuine purchase from a new network (travel, a café): novelty alone is not fraud.
          tx.ipAddress = random.next() < 0.03 ? ip(random) : customer.ips[random.int(customer.ips.length)];
        } else [tx.latitude, tx.longitude] = latLon(terminal.xKm, terminal.yKm);
        if (tx.amount > LARGE_AMOUNT) tx.scenario = tx.scenario || FRAUD_SCENARIOS.largeAmount;
        tx.fraud = tx.scenario === FRAUD_SCENARIOS.genuine ? 0 : 1;
        rows.push(tx);
      }
    }
    // Account takeovers: a new device and IP, then a burst of online spending within about two hours.
    for (let k = rate(options.customers * TAKEOVER_RATE); k > 0; k--) {
      const c = random.int(customers.length);
      const customer = customers[c] as Customer;
      const deviceId = `d${hex(random, 12)}`;
      const ipAddress = ip(random);
      let second = random.int(DAY_SECONDS - 3 * 3600);
      for (let j = 3 + random.int(6); j > 0; j--) {
        second += 60 + random.int(1200);
        rows.push({
          timestampSeconds: dayStart + second,
          customerId: c,
          terminalId: merchants[random.int(merchants.length)] as number,
          amount: Math.round((customer.meanAmount * (1 + random.next() * 2) + 50) * 100) / 100,
          channel: 'online',
          ipAddress,
          deviceId,
          fraud: 1,
          scenario: FRAUD_SCENARIOS.accountTakeover,
        });
      }
    }
    // Stable sort: ties keep generation order, and TRANSACTION_ID follows the sorted order.
    rows.sort((a, b) => a.timestampSeconds - b.timestampSeconds);
    yield rows;
  }
}

export interface TransactionSimulationSummary {
  rows: number;
  frauds: number;
  /** Transactions per scenario number (0 genuine … 4 account takeover). */
  scenarios: Record<string, number>;
  labels?: number;
  seconds: number;
}

function datetime(seconds: number): string {
  return new Date(seconds * 1000).toISOString().slice(0, 19).replace('T', ' ');
}

/**
 * Writes a simulated stream as CSV (gzip when the path ends in .gz). With `labelsPath`, also a
 * label feed as it would reach a fraud team later: each fraud confirmed hours to a week after the
 * transaction, and one genuine transaction in a hundred cleared after a customer query, in
 * LABEL_DATETIME order.
 */
export async function writeTransactionsCsv(
  options: TransactionSimulationOptions,
  path: string,
  { labelsPath }: { labelsPath?: string } = {},
): Promise<TransactionSimulationSummary> {
  const start = performance.now();
  const summary: TransactionSimulationSummary = {
    rows: 0,
    frauds: 0,
    scenarios: { 0: 0, 1: 0, 2: 0, 3: 0, 4: 0 },
    seconds: 0,
  };
  const labels: [number, number, number][] = [];
  const labelRandom = new Random(options.seed + 7919);
  async function* lines() {
    yield `${TRANSACTION_COLUMNS.join(',')}\n`;
    for (const day of simulateTransactions(options)) {
      const parts: string[] = [];
      for (const tx of day) {
        const id = summary.rows++;
        summary.frauds += tx.fraud;
        summary.scenarios[tx.scenario] = (summary.scenarios[tx.scenario] ?? 0) + 1;
        parts.push(
          `${id},${datetime(tx.timestampSeconds)},${tx.customerId},${tx.terminalId},${tx.amount.toFixed(2)},${tx.channel},` +
            `${tx.latitude ?? ''},${tx.longitude ?? ''},${tx.ipAddress ?? ''},${tx.deviceId ?? ''},${tx.fraud},${tx.scenario}\n`,
        );
        if (labelsPath !== undefined) {
          if (tx.fraud === 1) labels.push([tx.timestampSeconds + 3600 + labelRandom.int(7 * DAY_SECONDS), id, 1]);
          else if (labelRandom.next() < 0.01)
            labels.push([tx.timestampSeconds + DAY_SECONDS * (1 + labelRandom.int(10)), id, 0]);
        }
      }
      yield parts.join('');
    }
  }
  const write = (target: string, source: () => AsyncGenerator<string>) =>
    target.endsWith('.gz')
      ? pipeline(source, createGzip(), createWriteStream(target))
      : pipeline(source, createWriteStream(target));
  await write(path, lines);
  if (labelsPath !== undefined) {
    labels.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
    await write(labelsPath, async function* () {
      yield 'TRANSACTION_ID,LABEL_DATETIME,TX_FRAUD\n';
      for (let i = 0; i < labels.length; i += 10_000)
        yield labels
          .slice(i, i + 10_000)
          .map(([t, id, fraud]) => `${id},${datetime(t)},${fraud}\n`)
          .join('');
    });
    summary.labels = labels.length;
  }
  summary.seconds = (performance.now() - start) / 1000;
  return summary;
}
