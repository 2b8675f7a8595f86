import { mkdtempSync, writeFileSync } from 'fs';
import { tmpdir } from 'os';
import { join } from 'path';
import { UsageError } from '../../../lib/flags';
import { webhookOptionsFromFlags } from '../../../cli/webhook';

const tls = ['--tls-cert-file', 'c.pem', '--tls-key-file', 'k.pem'];

describe('webhookOptionsFromFlags', () => {
  it('defaults to cluster mode with file TLS', () => {
    const o = webhookOptionsFromFlags(tls, {});
    expect(o).toMatchObject({
      port: 9443,
      metricsPort: 8080,
      healthPort: 8081,
      defaultRevision: 'default',
      ownNamespace: 'meshwright-system',
      needsCluster: true,
      config: { kind: 'cluster', istioNamespace: 'istio-system', nativeSidecars: 'auto' },
      tls: { kind: 'files', certFile: 'c.pem', keyFile: 'k.pem' },
    });
  });

  it('takes the own namespace from POD_NAMESPACE', () => {
    expect(webhookOptionsFromFlags(tls, { POD_NAMESPACE: 'mesh' })).toMatchObject({ ownNamespace: 'mesh' });
  });

  it('self-signed mode names the Secret, Service and webhook configuration', () => {
    const o = webhookOptionsFromFlags(
      ['--self-signed', '--webhook-config', 'a', '--webhook-config', 'b'],
      {},
    );
    expect(o).toMatchObject({
      tls: {
        kind: 'self-signed',
        secretName: 'meshwright-webhook-tls',
        serviceName: 'meshwright-webhook',
        webhookConfigurations: ['a', 'b'],
        validityDays: 365,
      },
      needsCluster: true,
    });
  });

  it('adds --self-signed-san names and refuses them without --self-signed or when malformed', () => {
    const o = webhookOptionsFromFlags(
      ['--self-signed', '--self-signed-san', '127.0.0.1', '--self-signed-san', 'webhook.local'],
      {},
    );
    expect(o).toMatchObject({ tls: { kind: 'self-signed', extraNames: ['127.0.0.1', 'webhook.local'] } });
    expect(() => webhookOptionsFromFlags([...tls, '--self-signed-san', '127.0.0.1'], {})).toThrow(
      /needs --self-signed/,
    );
    expect(() => webhookOptionsFromFlags(['--self-signed', '--self-signed-san', 'bad name'], {})).toThrow(
      /neither a DNS name nor an IP/,
    );
  });

  it('builds a static config from --set, --values and --mesh-config', () => {
    const dir = mkdtempSync(join(tmpdir(), 'mw-webhook-'));
    writeFileSync(join(dir, 'values.json'), JSON.stringify({ global: { hub: 'file.example/istio' } }));
    writeFileSync(join(dir, 'mesh.yaml'), 'trustDomain: example.org\n');
    const o = webhookOptionsFromFlags(
      [
        ...tls,
        '--set',
        'values.global.tag=9.9.9',
        '--values',
        join(dir, 'values.json'),
        '--mesh-config',
        join(dir, 'mesh.yaml'),
        '--revision',
        'canary',
      ],
      {},
    );
    if (o === 'help' || o.config.kind !== 'static') throw new Error('expected static mode');
    expect(o.needsCluster).toBe(false);
    expect(o.config.config.revision).toBe('canary');
    expect(o.config.config.values.global).toMatchObject({ hub: 'file.example/istio', tag: '9.9.9' });
    expect(o.config.config.meshConfig.trustDomain).toBe('example.org');
  });

  it.each([
    [[], /--tls-cert-file\/--tls-key-file or --self-signed/],
    [['--tls-cert-file', 'c'], /go together/],
    [[...tls, '--self-signed'], /exclude each other/],
    [[...tls, '--native-sidecars', 'sometimes'], /--native-sidecars must be one of/],
    [[...tls, '--revision', 'Bad_Rev'], /not a valid revision/],
    [[...tls, '--port', '70000'], /--port must be a port/],
    [[...tls, '--shutdown-delay', '60'], /--shutdown-delay must be between/],
    [[...tls, '--values', '/does/not/exist.yaml'], /cannot read \/does\/not\/exist.yaml/],
    [[...tls, '--bogus'], /unknown flag --bogus/],
  ])('refuses %j', (argv, message) => {
    expect(() => webhookOptionsFromFlags(argv as string[], {})).toThrow(UsageError);
    expect(() => webhookOptionsFromFlags(argv as string[], {})).toThrow(message);
  });

  it('returns help for --help', () => {
    expect(webhookOptionsFromFlags(['--help'], {})).toBe('help');
  });
});
