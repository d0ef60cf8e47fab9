import { create } from '@bufbuild/protobuf';
import { timestampFromMs } from '@bufbuild/protobuf/wkt';
import { v7 as uuidv7 } from 'uuid';
import { EventSchema, type Event } from '../gen/telemetrygateway/v1/telemetrygateway_pb.js';

const FEATURES: ReadonlyArray<[feature: string, action: string]> = [
  ['search', 'submitted'],
  ['search.results', 'viewed'],
  ['blob', 'view'],
  ['cody.completion', 'accepted'],
  ['cody.completion', 'suggested'],
  ['cody.chat', 'submitted'],
  ['codeIntel.hover', 'shown'],
  ['batchChanges', 'created'],
];

/**
 * A realistic event of about half a kilobyte: the mix of fields a current
 * instance sends (client, user, feature flags, interaction, integer metadata
 * and a small private Struct). Deterministic for a given index apart from id
 * and time, so benchmarks compare like with like.
 */
export function sampleEvent(index: number, nowMs = Date.now()): Event {
  const [feature, action] = FEATURES[index % FEATURES.length]!;
  return create(EventSchema, {
    id: uuidv7(),
    timestamp: timestampFromMs(nowMs),
    feature,
    action,
    source: {
      server: { version: '5.11.0' },
      client: { name: index % 3 === 0 ? 'VSCode.Cody' : 'WEB', version: '1.42.0' },
    },
    parameters: {
      version: 1,
      metadata: {
        durationMs: 120 + (index % 900),
        resultCount: index % 50,
        recordsPrivateMetadataTranscript: index % 5 === 0 ? 1 : 0,
      },
      privateMetadata: {
        languageId: ['go', 'typescript', 'python', 'rust'][index % 4]!,
        query: `repo:^github\\.com/sourcegraph/sourcegraph$ lang:go func ${index}`,
        model: 'anthropic/claude-3-sonnet',
      },
      billingMetadata: { product: 'cody', category: 'core' },
    },
    user: { userId: BigInt(1 + (index % 1000)), anonymousUserId: `anon-${(index * 7919) % 100_000}` },
    featureFlags: { flags: { 'search-new-ui': 'true', 'cody-autocomplete-v2': String(index % 2 === 0) } },
    interaction: {
      traceId: '4bf92f3577b34da6a3ce929d0e0e4736',
      interactionId: `interaction-${index}`,
      geolocation: { countryCode: 'DE' },
    },
  });
}

/**
 * The allowlist under which an exporter sends the samples' private metadata as
 * it is (`feature::*::key...` entries): give it to a gateway under load so it
 * sees what a correctly configured fleet sends, with nothing to strip.
 */
export const SAMPLE_PRIVACY_ALLOWLIST: readonly string[] = [...new Set(FEATURES.map(([feature]) => feature))].map(
  (feature) => `${feature}::*::languageId::query::model`,
);

export function sampleEvents(count: number, firstIndex = 0): Event[] {
  const now = Date.now();
  return Array.from({ length: count }, (_, i) => sampleEvent(firstIndex + i, now));
}
