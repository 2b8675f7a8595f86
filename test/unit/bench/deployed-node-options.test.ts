// The benches run each program with the NODE_OPTIONS it is deployed with, given to node as flags. Node
// refuses most V8 flags in NODE_OPTIONS (the container would not start) but takes them on the command
// line, so a bench could measure a configuration that cannot be deployed: deployedNodeOptions refuses it.
import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { parse } from 'yaml';
import { deployedNodeOptions } from '../../../bench/webhook/run';

const root = join(__dirname, '..', '..', '..');

describe('deployed NODE_OPTIONS', () => {
  it.each(['operator', 'webhook'] as const)('config/manager/%s.yaml: flags node allows there', (program) => {
    const flags = deployedNodeOptions(root, program);
    expect(flags).toEqual(expect.arrayContaining([expect.stringMatching(/^--max-old-space-size=\d+$/)]));
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
        '          env:',
        '            - { name: NODE_OPTIONS, value: --max-old-space-size=384 --optimize-for-size }',
      ].join('\n'),
    );
    expect(() => deployedNodeOptions(dir, 'operator')).toThrow(
      'config/manager/operator.yaml NODE_OPTIONS: node does not allow --optimize-for-size there',
    );
  });
});
