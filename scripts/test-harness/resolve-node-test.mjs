// Module resolution hook (see register.mjs): `node:test` is node-test.mjs for
// everyone but node-test.mjs itself, which re-exports the real one.
const shim = new URL('./node-test.mjs', import.meta.url).href;

export async function resolve(specifier, context, nextResolve) {
  if (specifier === 'node:test' && context.parentURL !== shim) return { url: shim, shortCircuit: true };
  return nextResolve(specifier, context);
}
