/**
 * The columns of the synthetic credit-application data set: names, kinds, units, categories and
 * printed precision. One list drives the in-memory table, the CSV writer and the docs
 * (docs/demo-data.md), so they cannot drift apart.
 */
import type { ColumnKind, Schema } from '../data/table.js';

export const EMPLOYMENT_STATUSES = ['employed', 'self-employed', 'unemployed', 'retired', 'student'] as const;
export const EDUCATION_LEVELS = ['secondary', 'vocational', 'bachelor', 'master', 'doctorate'] as const;
export const HOME_OWNERSHIPS = ['rent', 'mortgage', 'own', 'other'] as const;
export const CHANNELS = ['branch', 'online', 'broker', 'partner'] as const;
export const LOAN_PURPOSES = [
  'debt-consolidation',
  'home-improvement',
  'car',
  'medical',
  'education',
  'business',
  'major-purchase',
  'vacation',
  'other',
] as const;
export const LOAN_TERMS_MONTHS = [12, 24, 36, 48, 60] as const;

/**
 * Regions: share of applications, shift on the default log-odds, and shift on log income.
 * `islands` is deliberately rare (0.5%) and risky, to exercise rare-category handling.
 */
export const REGIONS = [
  { name: 'capital', share: 0.22, logOddsShift: -0.2, logIncomeShift: 0.15 },
  { name: 'north', share: 0.12, logOddsShift: 0.05, logIncomeShift: 0 },
  { name: 'north-east', share: 0.09, logOddsShift: 0.3, logIncomeShift: 0 },
  { name: 'east', share: 0.11, logOddsShift: 0.1, logIncomeShift: 0 },
  { name: 'south-east', share: 0.1, logOddsShift: 0, logIncomeShift: 0 },
  { name: 'south', share: 0.12, logOddsShift: 0.35, logIncomeShift: 0 },
  { name: 'south-west', share: 0.08, logOddsShift: 0.15, logIncomeShift: 0 },
  { name: 'west', share: 0.09, logOddsShift: -0.1, logIncomeShift: 0 },
  { name: 'central', share: 0.065, logOddsShift: -0.05, logIncomeShift: 0 },
  { name: 'islands', share: 0.005, logOddsShift: 0.8, logIncomeShift: -0.15 },
] as const;

/** One column of the data set. */
export interface CreditApplicationColumn {
  /** snake_case name, as in the CSV header. */
  readonly name: string;
  readonly kind: ColumnKind;
  readonly description: string;
  /** Unit of a numeric column (`years`, `currency`, `ratio`, `percent`, `count`, `months`). */
  readonly unit?: string;
  /** Labels of a categorical column in code order; for a boolean column, the words for 0 and 1. */
  readonly categories?: readonly string[];
  /** Decimal places a numeric column is rounded to (0 = integer). */
  readonly decimals?: number;
}

/** Column names, kinds and meanings in CSV order. docs/demo-data.md explains each at length. */
export const CREDIT_APPLICATION_COLUMNS = [
  { name: 'application_id', kind: 'identifier', description: 'Unique id: APP- and the row number, zero-padded' },
  { name: 'application_date', kind: 'datetime', description: 'Day the application was filed (YYYY-MM-DD, UTC)' },
  { name: 'age', kind: 'numeric', unit: 'years', decimals: 0, description: 'Applicant age, 18–80' },
  { name: 'annual_income', kind: 'numeric', unit: 'currency', decimals: 0, description: 'Gross annual income' },
  {
    name: 'employment_status',
    kind: 'categorical',
    categories: EMPLOYMENT_STATUSES,
    description: 'Employment situation at application',
  },
  {
    name: 'employment_years',
    kind: 'numeric',
    unit: 'years',
    decimals: 0,
    description: 'Years in the current (retired: last) job; empty for unemployed, students and ~2% at random',
  },
  { name: 'education', kind: 'categorical', categories: EDUCATION_LEVELS, description: 'Highest completed education' },
  { name: 'home_ownership', kind: 'categorical', categories: HOME_OWNERSHIPS, description: 'Housing situation' },
  {
    name: 'region',
    kind: 'categorical',
    categories: REGIONS.map((r) => r.name),
    description: 'Region of residence; islands is rare',
  },
  { name: 'channel', kind: 'categorical', categories: CHANNELS, description: 'Where the application came in' },
  { name: 'loan_purpose', kind: 'categorical', categories: LOAN_PURPOSES, description: 'Stated purpose' },
  { name: 'loan_amount', kind: 'numeric', unit: 'currency', decimals: 0, description: 'Requested principal' },
  { name: 'loan_term_months', kind: 'numeric', unit: 'months', decimals: 0, description: 'Term: 12/24/36/48/60' },
  {
    name: 'interest_rate_pct',
    kind: 'numeric',
    unit: 'percent',
    decimals: 2,
    description: "Offered annual rate, priced on the lender's own risk grade",
  },
  {
    name: 'debt_to_income',
    kind: 'numeric',
    unit: 'ratio',
    decimals: 3,
    description: 'Existing monthly debt payments / monthly income, before this loan',
  },
  {
    name: 'revolving_utilization',
    kind: 'numeric',
    unit: 'ratio',
    decimals: 3,
    description: 'Revolving balances / revolving limits, 0–1.2 (above 1 = over limit)',
  },
  {
    name: 'credit_history_years',
    kind: 'numeric',
    unit: 'years',
    decimals: 1,
    description: 'Years since the first credit account',
  },
  { name: 'open_accounts', kind: 'numeric', unit: 'count', decimals: 0, description: 'Open credit accounts' },
  {
    name: 'delinquencies_2y',
    kind: 'numeric',
    unit: 'count',
    decimals: 0,
    description: '30+ days past-due events in the last 24 months',
  },
  {
    name: 'inquiries_6m',
    kind: 'numeric',
    unit: 'count',
    decimals: 0,
    description: 'Hard credit inquiries in the last 6 months',
  },
  {
    name: 'months_since_last_delinquency',
    kind: 'numeric',
    unit: 'months',
    decimals: 0,
    description: 'Months since the most recent delinquency on file; empty if none',
  },
  {
    name: 'has_cosigner',
    kind: 'boolean',
    categories: ['no', 'yes'],
    description: 'A co-signer guarantees the loan (printed yes/no)',
  },
  {
    name: 'monthly_payment',
    kind: 'numeric',
    unit: 'currency',
    decimals: 2,
    description: 'Annuity instalment from loan_amount, interest_rate_pct and loan_term_months',
  },
  {
    name: 'payment_to_income',
    kind: 'numeric',
    unit: 'ratio',
    decimals: 4,
    description: 'monthly_payment / (annual_income / 12)',
  },
  {
    name: 'default_12m',
    kind: 'numeric',
    unit: 'flag',
    decimals: 0,
    description: 'Target: 1 if the loan went 90+ days past due within 12 months, else 0',
  },
  {
    name: '_is_test',
    kind: 'boolean',
    categories: ['false', 'true'],
    description: 'Random ~25% hold-out flag (printed true/false), independent of date',
  },
] as const satisfies readonly CreditApplicationColumn[];

/** A column name of the data set. */
export type CreditApplicationColumnName = (typeof CREDIT_APPLICATION_COLUMNS)[number]['name'];

/** Position of a column in {@link CREDIT_APPLICATION_COLUMNS} (and in a CSV line). */
export function creditApplicationColumnIndex(name: CreditApplicationColumnName): number {
  return CREDIT_APPLICATION_COLUMNS.findIndex((c) => c.name === name);
}

/** The kinds of {@link CREDIT_APPLICATION_COLUMNS}, e.g. to load the CSV without type inference. */
export const CREDIT_APPLICATION_SCHEMA: Schema = {
  columns: CREDIT_APPLICATION_COLUMNS.map(({ name, kind }) => ({ name, kind })),
};
