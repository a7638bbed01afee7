/**
 * Synthetic data for demos, tests and benchmarks. `generateCreditApplications` builds the
 * credit-application book in memory; `writeCreditApplicationsCsv` streams it to a file.
 * docs/demo-data.md documents the columns and how the default probability is made.
 */
export { TEST_FRACTION } from './credit-application-model.js';
export {
  CHANNELS,
  CREDIT_APPLICATION_COLUMNS,
  CREDIT_APPLICATION_SCHEMA,
  type CreditApplicationColumn,
  type CreditApplicationColumnName,
  EDUCATION_LEVELS,
  EMPLOYMENT_STATUSES,
  HOME_OWNERSHIPS,
  LOAN_PURPOSES,
  LOAN_TERMS_MONTHS,
  REGIONS,
} from './credit-application-schema.js';
export {
  type CreditApplicationOptions,
  type CreditApplications,
  type CreditApplicationsCsvSummary,
  generateCreditApplications,
  writeCreditApplicationsCsv,
} from './credit-applications.js';
export {
  FRAUD_SCENARIOS,
  type SimulatedTransaction,
  simulateTransactions,
  TRANSACTION_COLUMNS,
  type TransactionSimulationOptions,
  type TransactionSimulationSummary,
  writeTransactionsCsv,
} from './transaction-simulator.js';
