// The benches run each program with the node flags it is deployed with: its NODE_OPTIONS and the flags of
// its container's command. Node refuses most V8 flags in NODE_OPTIONS (the container would not start) but
// takes them on the command line, so a bench could measure a configuration that cannot be deployed:
// deployedNodeFlags refuses it, and a command it cannot mirror.
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { deployedNodeFlags, ENTRYPOINT_SCRIPT } from '../../../bench/webhook/run';

const root = join(__dirname, '..', '..', '..');

function operatorManifest(container: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'node-options-'));
  mkdirSync(join(dir, 'config', 'manager'), { recursive: true });
  writeFileSync(
    join(dir, 'config', 'manager', 'operator.yaml'),
    [
      'apiVersion: apps/v1',
      'kind: Deployment',
      'metadata: { name: op }',
      'spec:',
      '  template:',
      '    spec:',
      '      containers:',
      '        - name: manager',
      ...container.map((l) => `          ${l}`),
    ].join('\n'),
  );
  return dir;
}

describe('deployed node flags', () => {
  it.each(['operator', 'webhook'] as const)('config/manager/%s.yaml: flags node allows there', (program) => {
    const flags = deployedNodeFlags(root, program);
    expect(flags).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
  });

  it.each(['operator', 'webhook'] as const)(
    'config/manager/%s.yaml: this node starts with them',
    (program) => {
      const r = spawnSync(process.execPath, [...deployedNodeFlags(root, program), '-e', '0'], {
        encoding: 'utf8',
      });
      expect(r.stderr).toBe('');
      expect(r.status).toBe(0);
    },
  );

  it("the operator's command puts V8 flags before the image's entrypoint, after NODE_OPTIONS", () => {
    const flags = deployedNodeFlags(root, 'operator');
    expect(flags.slice(-1)).toEqual([expect.stringMatching(/^--heap-growing-percent=\d+$/)]);
  });

  it("a command's entrypoint script is the image's (Dockerfile ENTRYPOINT)", () => {
    const line = readFileSync(join(root, 'Dockerfile'), 'utf8')
      .split('\n')
      .find((l) => l.startsWith('ENTRYPOINT '));
    expect(JSON.parse(line!.slice('ENTRYPOINT '.length))).toEqual(['node', ENTRYPOINT_SCRIPT]);
  });

  it("the chart's operator.v8Flags are config/'s command flags", () => {
    const values = parse(readFileSync(join(root, 'charts', 'meshwright', 'values.yaml'), 'utf8')) as {
      operator: { v8Flags?: string[]; nodeOptions: string };
    };
    const nodeOptions = values.operator.nodeOptions.split(' ');
    expect([...nodeOptions, ...(values.operator.v8Flags ?? [])]).toEqual(deployedNodeFlags(root, 'operator'));
  });

  it('refuses a command that is not node, flags and the entrypoint script, naming the file', () => {
    for (const command of [
      'command: [sh, -c, node /app/bin/meshwright.js]',
      'command: [node, --heap-growing-percent=20, /app/bin/other.js]',
      'command: [node, /app/bin/meshwright.js, --heap-growing-percent=20]',
    ]) {
      expect(() => deployedNodeFlags(operatorManifest([command]), 'operator')).toThrow(
        /^config\/manager\/operator\.yaml command: expected \[node, <--flags>, \/app\/bin\/meshwright\.js\]/,
      );
    }
    expect(
      deployedNodeFlags(
        operatorManifest(['command: [node, --heap-growing-percent=20, /app/bin/meshwright.js]']),
        'operator',
      ),
    ).toEqual(['--heap-growing-percent=20']);
  });

  it("the chart's nodeOptions values: flags node allows in NODE_OPTIONS", () => {
    const values = parse(readFileSync(join(root, 'charts', 'meshwright', 'values.yaml'), 'utf8')) as Record<
      string,
      { nodeOptions?: string }
    >;
    for (const program of ['operator', 'webhook']) {
      const flags = (values[program]?.nodeOptions ?? '').split(' ').filter(Boolean);
      expect(flags.length).toBeGreaterThan(0);
      expect(flags.filter((f) => !process.allowedNodeEnvironmentFlags.has(f.split('=')[0]))).toEqual([]);
    }
  });

  it('refuses a V8 flag that node would refuse in NODE_OPTIONS, naming it', () => {
    const dir = operatorManifest([
      'env:',
      '  - { name: NODE_OPTIONS, value: --max-old-space-size=384 --optimize-for-size }',
    ]);
    expect(() => deployedNodeFlags(dir, 'operator')).toThrow(
      'config/manager/operator.yaml NODE_OPTIONS: node does not allow --optimize-for-size there',
    );
  });
});
