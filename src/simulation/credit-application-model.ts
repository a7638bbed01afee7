/**
 * How one synthetic credit application is drawn: the applicant, the credit file, the loan the
 * lender offers, and the latent logistic score behind `default_12m`. Every coefficient is
 * explained in docs/demo-data.md ("How default_12m is made"); change both together.
 */
import type { Random } from '../random.js';
import {
  type CreditApplicationColumnName,
  creditApplicationColumnIndex,
  LOAN_TERMS_MONTHS,
  REGIONS,
} from './credit-application-schema.js';

/** Fraction of rows flagged `_is_test = true`. */
export const TEST_FRACTION = 0.25;

/** Where rows fall in time: `rows` applications spread evenly over `totalDays` days. */
export interface SamplingPlan {
  rows: number;
  totalDays: number;
}

/** Values no column shows, kept per row for the default model and for tests. */
export interface LatentFactors {
  /** Position in the application window, 0 at the start → 1 at the end. */
  t: number;
  /** True job tenure; drives risk even where `employment_years` is blank. */
  tenureYears: number;
  /** Hidden credit behaviour, N(0, 1); utilization, delinquencies and inquiries proxy it. */
  behaviour: number;
  /** Idiosyncratic shock (job loss, illness), N(0, 1); only the lender's grade glimpses it. */
  shock: number;
  /** True 12-month default probability. */
  pd: number;
}

export function emptyLatentFactors(): LatentFactors {
  return { t: 0, tenureYears: 0, behaviour: 0, shock: 0, pd: 0 };
}

const at = (name: CreditApplicationColumnName): number => creditApplicationColumnIndex(name);
// Cell positions. A row is one Float64Array: numbers as printed, category codes, 0/1 flags,
// the 1-based row number for the id and the day index for the date; NaN = missing.
const ID = at('application_id');
export const DATE = at('application_date');
const AGE = at('age');
const INCOME = at('annual_income');
const STATUS = at('employment_status');
const EMPLOYMENT_YEARS = at('employment_years');
const EDUCATION = at('education');
const HOME = at('home_ownership');
const REGION = at('region');
const CHANNEL = at('channel');
const PURPOSE = at('loan_purpose');
const AMOUNT = at('loan_amount');
const TERM = at('loan_term_months');
const RATE = at('interest_rate_pct');
const DTI = at('debt_to_income');
const UTILIZATION = at('revolving_utilization');
const HISTORY = at('credit_history_years');
const OPEN_ACCOUNTS = at('open_accounts');
const DELINQUENCIES = at('delinquencies_2y');
const INQUIRIES = at('inquiries_6m');
const MONTHS_SINCE_DELINQUENCY = at('months_since_last_delinquency');
const COSIGNER = at('has_cosigner');
const PAYMENT = at('monthly_payment');
const PTI = at('payment_to_income');
export const DEFAULT = at('default_12m');
const IS_TEST = at('_is_test');

// Category codes used in the formulas, in the order of the lists in credit-application-schema.ts.
const EMPLOYED = 0;
const SELF_EMPLOYED = 1;
const UNEMPLOYED = 2;
const RETIRED = 3;
const STUDENT = 4;
const BACHELOR = 2;
const RENT = 0;
const MORTGAGE = 1;
const ONLINE = 1;
const BROKER = 2;
const EDUCATION_LOAN = 4;
const BUSINESS_LOAN = 5;

// ---------------------------------------------------------------------------------------------
// The default model: log-odds = sum of the terms in `defaultLogOdds`.
// ---------------------------------------------------------------------------------------------

/** Calibrated so the overall default rate lands near 10% (about 9% early, 11% late). */
const INTERCEPT = -5.1;
const AGE_CENTRE_YEARS = 42;
const AGE_CURVATURE = 0.001;
const UTILIZATION_SLOPE = 0.3;
const UTILIZATION_CLIFF = 1.1;
const UTILIZATION_CLIFF_AT = 0.8;
const UTILIZATION_CLIFF_WIDTH = 0.02;
const DTI_SLOPE = 1.0;
const DTI_SHORT_TENURE_SLOPE = 4.0;
const SHORT_TENURE_YEARS = 3;
const INQUIRY_SLOPE = 0.05;
const INQUIRY_BURST = 0.7;
const INQUIRY_BURST_AT = 4;
const INCOME_SLOPE = -0.3;
const INCOME_REFERENCE = 40_000;
const PTI_HINGE = 0.15;
const PTI_SLOPE = 5;
const DELINQUENCY_SLOPE = 0.3;
const DELINQUENCY_CAP = 4;
const RECENT_DELINQUENCY = 0.4;
const RECENT_DELINQUENCY_MONTHS = 6;
const STATUS_SHIFT = [0, 0.15, 0.5, 0, 0.2]; // by EMPLOYMENT_STATUSES
const HOME_SHIFT = [0.1, 0, -0.2, 0.15]; // by HOME_OWNERSHIPS
const CHANNEL_SHIFT = [0, 0.1, 0.25, 0.05]; // by CHANNELS
const PURPOSE_SHIFT = [0.1, -0.1, -0.1, 0.15, 0.05, 0.3, 0, 0.1, 0.05]; // by LOAN_PURPOSES
const REGION_SHIFT = REGIONS.map((r) => r.logOddsShift);
const COSIGNER_SHIFT = -0.4;
const THIN_FILE_SHIFT = 0.4;
const THIN_FILE_YEARS = 2;
const TERM_SLOPE_PER_MONTH = 0.006;
const MACRO_TREND = 0.45;
const MACRO_WAVE = 0.1;
const HIDDEN_BEHAVIOUR = 0.45;
const HIDDEN_SHOCK = 1.0;

/**
 * The latent default score of a sampled row. Reads only printed (rounded) cells plus the
 * latent factors, so the formula in the docs applies exactly to the CSV values.
 */
function defaultLogOdds(cells: Float64Array, latent: LatentFactors): number {
  const age = cells[AGE] as number;
  const status = cells[STATUS] as number;
  const utilization = cells[UTILIZATION] as number;
  const dti = cells[DTI] as number;
  const inquiries = cells[INQUIRIES] as number;
  // 1 without a job (unemployed, student), fading to 0 at SHORT_TENURE_YEARS in the job;
  // retirees have a steady pension and are exempt.
  const shortTenure =
    status === RETIRED
      ? 0
      : status === UNEMPLOYED || status === STUDENT
        ? 1
        : Math.max(0, 1 - latent.tenureYears / SHORT_TENURE_YEARS);
  // NaN (never delinquent) compares false, so it gets no recency penalty.
  const recentDelinquency = (cells[MONTHS_SINCE_DELINQUENCY] as number) < RECENT_DELINQUENCY_MONTHS;
  return (
    INTERCEPT +
    AGE_CURVATURE * (age - AGE_CENTRE_YEARS) ** 2 +
    UTILIZATION_SLOPE * utilization +
    UTILIZATION_CLIFF * sigmoid((utilization - UTILIZATION_CLIFF_AT) / UTILIZATION_CLIFF_WIDTH) +
    DTI_SLOPE * dti +
    DTI_SHORT_TENURE_SLOPE * dti * shortTenure +
    INQUIRY_SLOPE * inquiries +
    (inquiries >= INQUIRY_BURST_AT ? INQUIRY_BURST : 0) +
    (REGION_SHIFT[cells[REGION] as number] as number) +
    INCOME_SLOPE * Math.log((cells[INCOME] as number) / INCOME_REFERENCE) +
    PTI_SLOPE * Math.max(0, (cells[PTI] as number) - PTI_HINGE) +
    DELINQUENCY_SLOPE * Math.min(cells[DELINQUENCIES] as number, DELINQUENCY_CAP) +
    (recentDelinquency ? RECENT_DELINQUENCY : 0) +
    (STATUS_SHIFT[status] as number) +
    (HOME_SHIFT[cells[HOME] as number] as number) +
    (CHANNEL_SHIFT[cells[CHANNEL] as number] as number) +
    (PURPOSE_SHIFT[cells[PURPOSE] as number] as number) +
    (cells[COSIGNER] === 1 ? COSIGNER_SHIFT : 0) +
    ((cells[HISTORY] as number) < THIN_FILE_YEARS ? THIN_FILE_SHIFT : 0) +
    TERM_SLOPE_PER_MONTH * ((cells[TERM] as number) - 36) +
    MACRO_TREND * latent.t +
    MACRO_WAVE * Math.sin(3 * Math.PI * latent.t) +
    HIDDEN_BEHAVIOUR * latent.behaviour +
    HIDDEN_SHOCK * latent.shock
  );
}

// ---------------------------------------------------------------------------------------------
// The population: who applies, what their credit file looks like, what the lender offers.
// ---------------------------------------------------------------------------------------------

const REGION_CDF = cumulate(REGIONS.map((r) => r.share));
const REGION_LOG_INCOME = REGIONS.map((r) => r.logIncomeShift);
const CHANNEL_CDF = cumulate([0.3, 0.4, 0.18, 0.12]);
const PURPOSE_CDF = cumulate([0.32, 0.14, 0.16, 0.06, 0.05, 0.07, 0.1, 0.04, 0.06]);
// Education by age band: the young have not finished degrees yet.
const EDUCATION_CDF_UNDER_22 = cumulate([0.55, 0.27, 0.18, 0, 0]);
const EDUCATION_CDF_UNDER_26 = cumulate([0.38, 0.25, 0.3, 0.07, 0]);
const EDUCATION_CDF_ADULT = cumulate([0.3, 0.22, 0.3, 0.14, 0.04]);
// Employment status by age band, in EMPLOYMENT_STATUSES order.
const STATUS_CDF_UNDER_25 = cumulate([0.52, 0.05, 0.13, 0, 0.3]);
const STATUS_CDF_WORKING_AGE = cumulate([0.76, 0.13, 0.08, 0.01, 0.02]);
const STATUS_CDF_60_TO_66 = cumulate([0.45, 0.12, 0.05, 0.38, 0]);
const STATUS_CDF_67_PLUS = cumulate([0.1, 0.06, 0.01, 0.83, 0]);
// Home ownership by age band, in HOME_OWNERSHIPS order ("other" = living with family etc.).
const HOME_CDF_UNDER_25 = cumulate([0.7, 0.05, 0.05, 0.2]);
const HOME_CDF_25_TO_34 = cumulate([0.5, 0.35, 0.05, 0.1]);
const HOME_CDF_35_TO_54 = cumulate([0.3, 0.5, 0.15, 0.05]);
const HOME_CDF_55_PLUS = cumulate([0.22, 0.25, 0.5, 0.03]);
// Term by requested amount, in LOAN_TERMS_MONTHS order.
const TERM_CDF_SMALL = cumulate([0.35, 0.35, 0.25, 0.05, 0]);
const TERM_CDF_MEDIUM = cumulate([0.1, 0.25, 0.4, 0.15, 0.1]);
const TERM_CDF_LARGE = cumulate([0.02, 0.08, 0.35, 0.25, 0.3]);

const BASE_INCOME = 38_000;
const EDUCATION_LOG_INCOME = [-0.2, -0.05, 0.15, 0.35, 0.5];
const STATUS_LOG_INCOME = [0, 0.05, -0.9, -0.35, -1.0];
const STATUS_LOG_INCOME_SD = [0.38, 0.6, 0.45, 0.3, 0.4];
// Typical principal as a fraction of annual income, by LOAN_PURPOSES.
const PURPOSE_AMOUNT_TO_INCOME = [0.3, 0.35, 0.4, 0.12, 0.25, 0.45, 0.18, 0.08, 0.15];
// Lender's grade A–G → base annual rate in percent.
const GRADE_BASE_RATE_PCT = [5.5, 7.5, 10, 13, 16.5, 20.5, 25];

/**
 * Draws application `row` (0-based) into `cells` and `latent`. The order of the random draws
 * is part of the output: reordering them changes every data set for every seed.
 */
export function sampleApplication(
  rng: Random,
  plan: SamplingPlan,
  row: number,
  cells: Float64Array,
  latent: LatentFactors,
): void {
  // Monotone in `row`, so ids and dates sort together and an out-of-time split is a row cut.
  const dayIndex = Math.floor(((row + rng.next()) * plan.totalDays) / plan.rows);
  const t = dayIndex / plan.totalDays;
  cells[ID] = row + 1;
  cells[DATE] = dayIndex;
  latent.t = t;

  // --- Applicant ---
  const region = pick(rng, REGION_CDF);
  // Two applicant populations (younger borrowers, established/older ones); resample the tails
  // rather than clamp so 18 and 80 do not pile up.
  let age = 0;
  for (let tries = 0; tries < 8; tries++) {
    age = Math.round(rng.next() < 0.65 ? rng.normal(35, 10) : rng.normal(55, 12));
    if (age >= 18 && age <= 80) break;
  }
  age = Math.min(80, Math.max(18, age));
  const education = pick(
    rng,
    age < 22 ? EDUCATION_CDF_UNDER_22 : age < 26 ? EDUCATION_CDF_UNDER_26 : EDUCATION_CDF_ADULT,
  );
  const status = pick(
    rng,
    age < 25
      ? STATUS_CDF_UNDER_25
      : age < 60
        ? STATUS_CDF_WORKING_AGE
        : age < 67
          ? STATUS_CDF_60_TO_66
          : STATUS_CDF_67_PLUS,
  );
  const maxTenureYears = Math.max(0, age - (education >= BACHELOR ? 22 : 18));
  let tenureYears = 0;
  if (status === EMPLOYED || status === SELF_EMPLOYED) {
    // Exponential tenure whose mean grows with the working life so far.
    const meanYears = 4 + 0.12 * maxTenureYears;
    tenureYears = Math.min(maxTenureYears, Math.floor(-Math.log(1 - rng.next()) * meanYears));
  } else if (status === RETIRED) {
    tenureYears = Math.min(maxTenureYears, Math.floor(8 + rng.next() * 20));
  }
  const hasJobHistory = status === EMPLOYED || status === SELF_EMPLOYED || status === RETIRED;
  const randomlyMissing = rng.next() < 0.02;
  latent.tenureYears = tenureYears;

  const logIncome =
    Math.log(BASE_INCOME) +
    (EDUCATION_LOG_INCOME[education] as number) +
    (STATUS_LOG_INCOME[status] as number) +
    0.1 -
    0.0009 * (age - 50) ** 2 +
    (REGION_LOG_INCOME[region] as number) +
    rng.normal(0, STATUS_LOG_INCOME_SD[status] as number);
  const annualIncome = Math.min(2_000_000, Math.max(6_000, roundTo(Math.exp(logIncome), 100)));

  let home = pick(
    rng,
    age < 25 ? HOME_CDF_UNDER_25 : age < 35 ? HOME_CDF_25_TO_34 : age < 55 ? HOME_CDF_35_TO_54 : HOME_CDF_55_PLUS,
  );
  // Higher earners who rent are often about to buy: move some of them to a mortgage.
  if (home === RENT && annualIncome > 80_000 && rng.next() < 0.4) home = MORTGAGE;
  const channel = pick(rng, CHANNEL_CDF);

  // --- Hidden factors ---
  const behaviour = rng.normal();
  const shock = rng.normal();
  latent.behaviour = behaviour;
  latent.shock = shock;

  // --- Credit file ---
  const creditHistoryYears = roundDecimals((age - 18) * (0.3 + 0.7 * rng.next() ** 0.7), 1);
  const openAccounts = Math.min(
    30,
    1 + poisson(rng, 1.2 + 0.1 * creditHistoryYears + (annualIncome > 60_000 ? 0.5 : 0) + 0.3 * behaviour ** 2),
  );
  const utilization = roundDecimals(1.2 * sigmoid(-0.85 + 0.95 * behaviour + rng.normal(0, 0.9)), 3);
  const delinquencies = Math.min(15, poisson(rng, 0.12 * Math.exp(0.85 * behaviour)));
  let monthsSinceDelinquency = Number.NaN;
  const olderDelinquency = rng.next() < 0.18 * Math.exp(0.4 * behaviour);
  const delinquencyMonth = rng.next();
  if (delinquencies > 0) {
    // Skewed towards recent months: people with fresh arrears are the ones still in trouble.
    monthsSinceDelinquency = Math.floor(delinquencyMonth ** 1.5 * 24);
  } else if (olderDelinquency && creditHistoryYears >= 2) {
    monthsSinceDelinquency = 24 + Math.floor(delinquencyMonth * Math.min(97, creditHistoryYears * 12 - 23));
  }
  const channelInquiryFactor = channel === ONLINE ? 1.3 : channel === BROKER ? 1.5 : 1;
  let inquiries = poisson(rng, 0.9 * Math.exp(0.45 * behaviour) * channelInquiryFactor);
  // Credit-seeking sprees: several applications within a few weeks.
  if (rng.next() < 0.04 * Math.exp(0.5 * behaviour)) inquiries += 3 + rng.int(5);
  inquiries = Math.min(20, inquiries);
  const dti = roundDecimals(
    0.65 * sigmoid(-1.0 + 0.35 * behaviour + (home === MORTGAGE ? 0.3 : 0) + rng.normal(0, 0.75)),
    3,
  );

  // --- Loan ---
  let purpose = pick(rng, PURPOSE_CDF);
  const purposeOverride = rng.next();
  if (status === STUDENT && purposeOverride < 0.4) purpose = EDUCATION_LOAN;
  else if (status === SELF_EMPLOYED && purposeOverride < 0.25) purpose = BUSINESS_LOAN;
  // The lender caps principal at 80% of income and 60k overall; 1k is the product minimum.
  const maxAmount = Math.min(60_000, Math.max(1_000, roundTo(0.8 * annualIncome, 100)));
  const wantedAmount = annualIncome * (PURPOSE_AMOUNT_TO_INCOME[purpose] as number) * Math.exp(rng.normal(0, 0.45));
  const amount = Math.min(maxAmount, Math.max(1_000, roundTo(wantedAmount, 100)));
  const termMonths = LOAN_TERMS_MONTHS[
    pick(rng, amount < 5_000 ? TERM_CDF_SMALL : amount < 15_000 ? TERM_CDF_MEDIUM : TERM_CDF_LARGE)
  ] as number;
  const cosignerChance =
    0.05 + (age < 25 ? 0.15 : 0) + (status === STUDENT ? 0.1 : 0) + (status === UNEMPLOYED ? 0.05 : 0);
  const hasCosigner = rng.next() < cosignerChance ? 1 : 0;

  // The lender's own grade: a linear scorecard on what it sees plus bureau data that partly
  // reveals the hidden factors. Pricing on it leaks real signal into interest_rate_pct.
  const lenderScore =
    1.2 * utilization +
    3 * dti +
    0.4 * Math.min(delinquencies, 4) +
    0.12 * inquiries -
    0.3 * Math.log(annualIncome / INCOME_REFERENCE) +
    (status === UNEMPLOYED ? 0.6 : 0) +
    0.35 * behaviour +
    0.25 * shock +
    rng.normal(0, 0.8);
  const grade = Math.min(6, Math.max(0, Math.floor((lenderScore + 0.2) * 1.6 + 1)));
  const ratePct = roundDecimals(
    (GRADE_BASE_RATE_PCT[grade] as number) +
      0.15 * (termMonths / 12 - 1) +
      (channel === BROKER ? 0.5 : 0) +
      0.8 * t + // funding costs rise over the window
      rng.normal(0, 0.35),
    2,
  );
  const monthlyRate = ratePct / 1200;
  const payment = roundDecimals((amount * monthlyRate) / (1 - (1 + monthlyRate) ** -termMonths), 2);

  cells[AGE] = age;
  cells[INCOME] = annualIncome;
  cells[STATUS] = status;
  cells[EMPLOYMENT_YEARS] = hasJobHistory && !randomlyMissing ? tenureYears : Number.NaN;
  cells[EDUCATION] = education;
  cells[HOME] = home;
  cells[REGION] = region;
  cells[CHANNEL] = channel;
  cells[PURPOSE] = purpose;
  cells[AMOUNT] = amount;
  cells[TERM] = termMonths;
  cells[RATE] = ratePct;
  cells[DTI] = dti;
  cells[UTILIZATION] = utilization;
  cells[HISTORY] = creditHistoryYears;
  cells[OPEN_ACCOUNTS] = openAccounts;
  cells[DELINQUENCIES] = delinquencies;
  cells[INQUIRIES] = inquiries;
  cells[MONTHS_SINCE_DELINQUENCY] = monthsSinceDelinquency;
  cells[COSIGNER] = hasCosigner;
  cells[PAYMENT] = payment;
  cells[PTI] = roundDecimals(payment / (annualIncome / 12), 4);

  // --- Outcome ---
  const pd = sigmoid(defaultLogOdds(cells, latent));
  latent.pd = pd;
  cells[DEFAULT] = rng.next() < pd ? 1 : 0;
  cells[IS_TEST] = rng.next() < TEST_FRACTION ? 1 : 0;
}

function sigmoid(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** Rounds to `decimals` places the way the CSV prints them (exact decimal → nearest double). */
function roundDecimals(x: number, decimals: number): number {
  const scale = 10 ** decimals;
  return Math.round(x * scale) / scale;
}

/** Rounds to a multiple of `step` (an integer), e.g. incomes to the nearest 100. */
function roundTo(x: number, step: number): number {
  return Math.round(x / step) * step;
}

/** Index drawn from cumulative weights. */
function pick(rng: Random, cumulative: readonly number[]): number {
  const u = rng.next() * (cumulative[cumulative.length - 1] as number);
  for (let i = 0; i < cumulative.length - 1; i++) if (u < (cumulative[i] as number)) return i;
  return cumulative.length - 1;
}

function cumulate(weights: readonly number[]): number[] {
  let sum = 0;
  return weights.map((w) => (sum += w));
}

/** Knuth's Poisson sampler: fine for the small rates used here (λ ≤ ~10). */
function poisson(rng: Random, lambda: number): number {
  const limit = Math.exp(-Math.min(lambda, 30));
  let k = 0;
  let p = rng.next();
  while (p > limit) {
    k++;
    p *= rng.next();
  }
  return k;
}
