// hack/node.sh decides which node every script runs on; these cases drive it with fake `node` and
// `uname` programs first on PATH and a temporary cache, so they need neither the network nor Node 24.
import { execFileSync, spawnSync } from 'node:child_process';
import { chmodSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const ROOT = join(__dirname, '..', '..', '..');
const SCRIPT = join(ROOT, 'hack', 'node.sh');
const pinnedVersion = /^NODE_VERSION=(\d+\.\d+\.\d+)$/m.exec(readFileSync(SCRIPT, 'utf8'))?.[1] ?? '';

let tmp = '';
beforeEach(() => {
  tmp = mkdtempSync(join(tmpdir(), 'mw-node-sh-'));
});
afterEach(() => rmSync(tmp, { recursive: true, force: true }));

function program(dir: string, name: string, body: string): void {
  mkdirSync(dir, { recursive: true });
  writeFileSync(join(dir, name), `#!/bin/sh\n${body}\n`);
  chmodSync(join(dir, name), 0o755);
}

/** A fake `node` that reports `version` and otherwise echoes its arguments. */
function fakeNode(dir: string, version: string): void {
  program(
    dir,
    'node',
    `if [ "$1" = -p ]; then echo ${version.split('.')[0]}; elif [ "$1" = --version ]; then echo v${version}; else echo "node ${version}: $*"; fi`,
  );
}

function run(args: string[], pathFirst: string[], env: Record<string, string> = {}) {
  return spawnSync('bash', [SCRIPT, ...args], {
    encoding: 'utf8',
    env: {
      PATH: [...pathFirst, process.env.PATH ?? ''].join(':'),
      HOME: tmp,
      MESHWRIGHT_CACHE: join(tmp, 'cache'),
      ...env,
    },
  });
}

describe('hack/node.sh', () => {
  it('pins one Node 24 release, the same the image and package.json engines name', () => {
    expect(pinnedVersion).toMatch(/^24\./);
    expect(readFileSync(join(ROOT, 'Dockerfile'), 'utf8')).toContain(
      `ARG NODE_IMAGE=node:${pinnedVersion}-slim`,
    );
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8')) as { engines: { node: string } };
    expect(pkg.engines.node).toBe('>=24');
  });

  it("uses the machine's node when it is a 24.x", () => {
    const machine = join(tmp, 'machine');
    fakeNode(machine, '24.1.0');
    const r = run(['--bin-dir'], [machine]);
    expect(r.stderr).toBe('');
    expect(r.stdout).toBe(`${machine}\n`);
  });

  it('uses the cached pinned release when the machine has an older node, and runs commands with it first on PATH', () => {
    const machine = join(tmp, 'machine');
    fakeNode(machine, '20.20.2');
    const pinned = join(tmp, 'cache', `node-v${pinnedVersion}`, 'bin');
    fakeNode(pinned, pinnedVersion);
    expect(run(['--bin-dir'], [machine]).stdout).toBe(`${pinned}\n`);
    const r = run(['node', 'app.js'], [machine]);
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(`node ${pinnedVersion}: app.js\n`);
  });

  it('MESHWRIGHT_NODE=pinned prefers the pinned release over a machine 24.x', () => {
    const machine = join(tmp, 'machine');
    fakeNode(machine, '24.1.0');
    const pinned = join(tmp, 'cache', `node-v${pinnedVersion}`, 'bin');
    fakeNode(pinned, pinnedVersion);
    expect(run(['--bin-dir'], [machine], { MESHWRIGHT_NODE: 'pinned' }).stdout).toBe(`${pinned}\n`);
  });

  it('says plainly when it has no pinned build for the platform', () => {
    const machine = join(tmp, 'machine');
    fakeNode(machine, '20.20.2');
    program(machine, 'uname', 'case "$1" in -s) echo Darwin ;; -m) echo arm64 ;; esac');
    const r = run(['--bin-dir'], [machine]);
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toContain(`no pinned Node ${pinnedVersion} for Darwin/arm64`);
    expect(r.stderr).toContain('install Node 24 yourself');
  });

  it('rejects a call without a command', () => {
    const machine = join(tmp, 'machine');
    fakeNode(machine, '24.1.0');
    const r = run([], [machine]);
    expect(r.status).toBe(1);
    expect(r.stderr).toContain('usage: hack/node.sh CMD');
  });

  it('is valid bash', () => {
    expect(() => execFileSync('bash', ['-n', SCRIPT])).not.toThrow();
  });
});

describe('bin/meshwright.js on an older node', () => {
  it('refuses with the version it needs instead of failing inside a dependency', () => {
    // Pretend to be Node 20 (a preload rewrites process.version and process.versions.node).
    const preload = join(tmp, 'node20.js');
    writeFileSync(
      preload,
      "Object.defineProperty(process, 'version', { value: 'v20.20.2' });\n" +
        "Object.defineProperty(process, 'versions', { value: { ...process.versions, node: '20.20.2' } });\n",
    );
    const r = spawnSync(process.execPath, ['-r', preload, join(ROOT, 'bin', 'meshwright.js'), '--help'], {
      encoding: 'utf8',
    });
    expect(r.status).toBe(1);
    expect(r.stdout).toBe('');
    expect(r.stderr).toBe(
      'meshwright: Node 24 or newer is required, this is v20.20.2; run it as `hack/node.sh npx meshwright ...` ' +
        'or put Node 24 first on PATH (docs/runtime.md)\n',
    );
  });
});
