import { DataError } from '../errors.js';

/** Thrown when an event is older than one already seen: the executor's state only moves forward. */
export class OutOfOrderEventError extends DataError {
  constructor(timestampSeconds: number, latestSeconds: number) {
    super(
      'out_of_order_event',
      `event at ${new Date(timestampSeconds * 1000).toISOString()} arrived after one at ${new Date(latestSeconds * 1000).toISOString()}: events must come in time order`,
    );
  }
}

/** Thrown for an event the executor cannot take (a non-finite time or amount), before any state changes. */
export class InvalidEventError extends DataError {
  constructor(field: string, value: unknown) {
    super('invalid_event', `event ${field} must be a finite number, got ${String(value)}`);
  }
}
