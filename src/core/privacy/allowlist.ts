import { checkEventName } from '../event-validation.js';

/**
 * Which private_metadata keys of an event type may leave an instance. `action`
 * is a name or `*` for every action of the feature.
 */
export interface AllowlistEntry {
  feature: string;
  action: string;
  keys: readonly string[];
}

export type Allowlist = readonly AllowlistEntry[];

/** The config form `feature::action::key1::key2` (action may be `*`); throws with what is wrong. */
export function parseAllowlistEntry(text: string): AllowlistEntry {
  const [feature = '', action = '', ...keys] = text.trim().split('::');
  return checkAllowlistEntry({ feature, action, keys }, `allowlist entry "${text}"`);
}

/** Checks an entry given in code or config; returns it or throws naming it. */
export function checkAllowlistEntry(entry: AllowlistEntry, label = `allowlist entry ${entry.feature}/${entry.action}`): AllowlistEntry {
  const problem =
    checkEventName('feature', entry.feature) ??
    (entry.action === '*' ? undefined : checkEventName('action', entry.action)) ??
    (entry.keys.length === 0 ? 'no private_metadata keys listed (expected feature::action::key1[::key2...])' : undefined) ??
    (entry.keys.some((key) => key === '') ? 'has an empty key' : undefined);
  if (problem !== undefined) throw new Error(`${label}: ${problem}`);
  return { feature: entry.feature, action: entry.action, keys: [...entry.keys] };
}

/** A lookup from event type to allowed keys, built once per policy. */
export interface AllowlistIndex {
  /** The private keys allowed for this event type, or undefined when it is not allowlisted. */
  allowedKeys(feature: string, action: string): ReadonlySet<string> | undefined;
}

export function indexAllowlist(allowlist: Allowlist): AllowlistIndex {
  // feature -> action (or `*`) -> keys: asked for every event that carries private metadata, so it is
  // looked up by the event's own strings rather than by a key built for each event.
  const byFeature = new Map<string, Map<string, Set<string>>>();
  for (const { feature, action, keys } of allowlist) {
    let actions = byFeature.get(feature);
    if (actions === undefined) byFeature.set(feature, (actions = new Map()));
    const known = actions.get(action) ?? new Set<string>();
    for (const key of keys) known.add(key);
    actions.set(action, known);
  }
  return {
    allowedKeys(feature, action) {
      const actions = byFeature.get(feature);
      if (actions === undefined) return undefined;
      const exact = actions.get(action);
      const any = actions.get('*');
      if (exact && any) return new Set([...exact, ...any]);
      return exact ?? any;
    },
  };
}
