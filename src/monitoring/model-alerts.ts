/**
 * Model alerts: every declined event raises one (kind `model`), about its customer, so an
 * analyst sees declines in the same queue as rule and early-warning alerts. While open, further
 * declines of the same customer update that alert (count, event ids) rather than adding one.
 */
import type { AlertSeverity, RaiseAlertInput } from './alert.js';
import { entityLabel } from './early-warning.js';

/**
 * The severity of a declined score: where it lies between the decline threshold and 1 —
 * `critical` in the top third, `high` in the middle, `medium` in the lowest third (and for a
 * decline without a finite score, which cannot happen with today's bands but costs nothing).
 */
export function declineSeverity(score: number, declineFrom: number): AlertSeverity {
  if (!Number.isFinite(score) || declineFrom >= 1) return 'medium';
  const position = (score - declineFrom) / (1 - declineFrom);
  return position >= 2 / 3 ? 'critical' : position >= 1 / 3 ? 'high' : 'medium';
}

/** The model alert of one declined event; `customerId` is the pseudonym. */
export function declineAlert(
  event: { eventId: string; customerId: string; score: number; reasons: readonly string[] },
  declineFrom: number,
): RaiseAlertInput {
  return {
    kind: 'model',
    severity: declineSeverity(event.score, declineFrom),
    entityKind: 'customer',
    entityId: event.customerId,
    rule: 'decline',
    title: `${entityLabel('customer', event.customerId)}: transaction ${event.eventId} declined, score ${event.score.toFixed(3)}`,
    evidence: {
      eventIds: [event.eventId],
      indicators: { score: event.score, declineFrom },
      reasons: [...event.reasons],
    },
  };
}
