/**
 * The entities the service monitors and profiles, and the event field each is read from. Personal
 * ones (customer, IP, device) are only ever held as their pseudonyms.
 */

/** What an alert, an indicator or a profile is about. */
export const ENTITY_KINDS = ['customer', 'terminal', 'ip', 'device'] as const;
export type EntityKind = (typeof ENTITY_KINDS)[number];

/** The event field holding each kind's id (the feature engine's entity keys). */
export const ENTITY_FIELD = {
  customer: 'customerId',
  terminal: 'terminalId',
  ip: 'ipAddress',
  device: 'deviceId',
} as const satisfies Record<EntityKind, string>;
export type EntityField = (typeof ENTITY_FIELD)[EntityKind];

/** Whether ids of this kind are personal data (pseudonymised at intake); a merchant's terminal is not. */
export function isPersonalKind(kind: EntityKind): kind is 'customer' | 'ip' | 'device' {
  return kind !== 'terminal';
}

/** Whether `value` names an entity kind. */
export function isEntityKind(value: unknown): value is EntityKind {
  return typeof value === 'string' && (ENTITY_KINDS as readonly string[]).includes(value);
}
