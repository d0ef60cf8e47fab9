import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { describe, it } from 'node:test';
import { REPO } from '../helpers/paths.js';

// semver is in the installed tree already (better-sqlite3 -> prebuild-install -> node-abi); a range
// check written by hand would get `>= 22.x`, `6.* || 8.* || >= 10.*` and friends wrong.
const semver = createRequire(join(REPO, 'package.json'))('semver') as {
  minVersion(range: string): { version: string } | null;
  satisfies(version: string, range: string): boolean;
  validRange(range: string): string | null;
};

interface PackageJson {
  name: string;
  version: string;
  engines?: { node?: string };
  dependencies?: Record<string, string>;
  optionalDependencies?: Record<string, string>;
}

const readPackage = (dir: string): PackageJson => JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as PackageJson;

/** Where Node resolves `name` from a package at `from`: the nearest node_modules/name up the tree. */
function resolvePackageDir(name: string, from: string): string | undefined {
  for (let dir = from; ; dir = dirname(dir)) {
    const candidate = join(dir, 'node_modules', name);
    if (existsSync(join(candidate, 'package.json'))) return candidate;
    if (dir === REPO || dirname(dir) === dir) return undefined;
  }
}

/** Every package a production install holds: our dependencies and theirs, as installed (nested copies too). */
function productionTree(): Map<string, PackageJson> {
  const found = new Map<string, PackageJson>();
  const visit = (dir: string, optional: boolean, name: string): void => {
    if (found.has(dir)) return;
    if (!existsSync(join(dir, 'package.json'))) {
      // An optional dependency for another platform is legitimately absent; anything else is a broken install.
      assert.ok(optional, `${name} is a production dependency but is not installed (run npm install)`);
      return;
    }
    const pkg = readPackage(dir);
    found.set(dir, pkg);
    for (const [deps, isOptional] of [[pkg.dependencies, false], [pkg.optionalDependencies, true]] as const) {
      for (const dep of Object.keys(deps ?? {})) {
        const depDir = resolvePackageDir(dep, dir);
        if (depDir === undefined) assert.ok(isOptional, `${dep} (needed by ${pkg.name}) is not installed`);
        else visit(depDir, isOptional, dep);
      }
    }
  };
  const root = readPackage(REPO);
  for (const dep of Object.keys(root.dependencies ?? {})) {
    const dir = resolvePackageDir(dep, REPO);
    assert.ok(dir, `${dep} is not installed (run npm install)`);
    visit(dir, false, dep);
  }
  return found;
}

describe('engines', () => {
  const declared = readPackage(REPO).engines?.node;
  it('package.json declares a Node range', () => {
    assert.ok(declared !== undefined && semver.validRange(declared) !== null, `engines.node is ${declared}`);
  });

  it('every production dependency accepts the oldest Node we declare, and the one running this test', () => {
    const oldest = semver.minVersion(declared!)!.version;
    const tree = productionTree();
    assert.ok(tree.size > 20, `walked only ${tree.size} packages; the walk is broken`);
    const refusing: string[] = [];
    for (const pkg of tree.values()) {
      const range = pkg.engines?.node;
      if (range === undefined) continue;
      for (const node of [oldest, process.versions.node]) {
        if (!semver.satisfies(node, range)) refusing.push(`${pkg.name}@${pkg.version} declares node "${range}", refusing ${node}`);
      }
    }
    assert.deepEqual(refusing, [], `we declare node "${declared}"; pin these to versions that accept it`);
  });
});
