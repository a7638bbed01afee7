import { DataError, type Issue } from '../errors.js';

/** How many issues a validation keeps; the rest are only counted so a broken file cannot exhaust memory. */
export const MAX_STORED_ISSUES = 1000;

/**
 * Collects validation issues, storing the first {@link MAX_STORED_ISSUES} and counting all of them,
 * so a caller can report "12,408 problems" while showing the first thousand.
 */
export class IssueList {
  readonly items: Issue[] = [];
  /** Every issue added, including the ones not stored. */
  count = 0;

  constructor(readonly limit = MAX_STORED_ISSUES) {}

  /** Records one issue. */
  add(issue: Issue): void {
    this.count++;
    if (this.items.length < this.limit) this.items.push(issue);
  }
}

/** The issue path for a CSV cell or row: `['line 12', 'amount']` or `['line 12']`. */
export function linePath(line: number, column?: string): string[] {
  return column === undefined ? [`line ${line}`] : [`line ${line}`, column];
}

/** Quotes a cell for a message, shortened so one long cell cannot swamp the terminal. */
export function quoteCell(text: string, maxChars = 40): string {
  const shown = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  return JSON.stringify(shown);
}

/**
 * One `DataError` for everything an IssueList found in `source`. Its code is the issues' code when
 * they all share one (so `ragged_row` files fail with `ragged_row`), else `invalid_data`.
 */
export function dataErrorFromIssues(source: string, list: IssueList): DataError {
  const first = list.items[0];
  const codes = new Set(list.items.map((i) => i.code));
  const code = codes.size === 1 && first !== undefined ? first.code : 'invalid_data';
  const problems = list.count === 1 ? '1 problem' : `${list.count.toLocaleString('en-US')} problems`;
  const stored = list.count > list.items.length ? ` (first ${list.items.length} listed)` : '';
  const where = first === undefined ? '' : `; first at ${first.path.join(', ')}: ${first.message}`;
  return new DataError(code, `${source}: ${problems} found${stored}${where}`, { issues: list.items });
}
