let lastDescription: string | undefined;
let lastKind = '';

/**
 * A store's kind for a span attribute: the scheme of its description
 * ("sqlite:./data/x.db" -> "sqlite", "postgres://..." -> "postgres"), a fan-out's
 * schemes joined ("sqlite,nats"). Never the path, host or user. The last answer
 * is kept: a gateway has one store, so this is a string compare per write.
 */
export function storeKindOf(description: string): string {
  if (description === lastDescription) return lastKind;
  lastKind = description
    .split(',')
    .map((part) => /^([a-z][a-z0-9+.-]*):/i.exec(part.trim())?.[1]?.toLowerCase() ?? 'other')
    .join(',');
  lastDescription = description;
  return lastKind;
}
