/**
 * Vigil's error base. Every error a user can cause carries a stable `code` that scripts may
 * match on, a human message, and optional `issues` when several problems were found at once.
 */
export interface Issue {
  /** Stable machine-readable code, e.g. `invalid_number`. */
  code: string;
  /** Where the problem is: for a CSV `['line 12', 'amount']`, for JSON the property path. */
  path: (string | number)[];
  message: string;
}

export class VigilError extends Error {
  readonly code: string;
  readonly issues: Issue[];
  constructor(code: string, message: string, options: { cause?: unknown; issues?: Issue[] } = {}) {
    super(message, options.cause === undefined ? undefined : { cause: options.cause });
    this.name = new.target.name;
    this.code = code;
    this.issues = options.issues ?? [];
  }
}

/** Input data (a file, a column, a row) is not usable. */
export class DataError extends VigilError {}

/** A command-line flag, option object or config value is wrong. */
export class ConfigError extends VigilError {}

/** An estimator was used before `fit`. */
export class NotFittedError extends VigilError {
  constructor(what: string) {
    super('not_fitted', `${what} is not fitted yet: call fit() first`);
  }
}

/** A model bundle is missing, unreadable, or fails verification. */
export class BundleError extends VigilError {}

/** Formats issues one per line for terminal output, capped so a broken file cannot flood it. */
export function formatIssues(issues: Issue[], limit = 20): string {
  const lines = issues.slice(0, limit).map((issue) => {
    const where = issue.path.length > 0 ? `${issue.path.join(', ')}: ` : '';
    return `  - ${where}${issue.message}`;
  });
  if (issues.length > limit) lines.push(`  … and ${issues.length - limit} more`);
  return lines.join('\n');
}
