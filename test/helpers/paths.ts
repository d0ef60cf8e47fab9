import { fileURLToPath } from 'node:url';

/** The repository root. */
export const REPO = fileURLToPath(new URL('../../', import.meta.url));
/**
 * Test vectors made by independent implementations (wire bytes, license keys),
 * copied from the team's shared/testdata so a clone is self-contained; a test
 * checks the copy still matches when shared/ sits beside the repository.
 */
export const TESTDATA = fileURLToPath(new URL('../vectors/', import.meta.url));
/** The team's shared/testdata beside the repository, where it exists. */
export const SHARED_TESTDATA = fileURLToPath(new URL('../../../shared/testdata/', import.meta.url));
/** The built CLI entry point (npm test builds it first). */
export const CLI = fileURLToPath(new URL('../../bin/telemetry-gateway.js', import.meta.url));
