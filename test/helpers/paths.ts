import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/** Shared test vectors from independent implementations: ../shared/testdata beside the repository. */
export const TESTDATA = fileURLToPath(new URL('../../../shared/testdata/', import.meta.url));
/** The built CLI entry point (npm test builds it first). */
export const CLI = fileURLToPath(new URL('../../bin/telemetry-gateway.js', import.meta.url));
