// The log line format: one JSON object per record, with level, message, timestamp and the fields.
import { Writable } from 'stream';
import { createLogger } from '../../lib/log';

function capture(): { lines: () => Record<string, unknown>[]; stream: Writable } {
  const chunks: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      chunks.push(chunk.toString());
      cb();
    },
  });
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Record<string, unknown>);
  return { lines, stream };
}

describe('createLogger', () => {
  it('writes one JSON object per line with level, message, timestamp and fields', () => {
    const { lines, stream } = capture();
    const log = createLogger({ stream, level: 'info' });
    log.info('admission', { uid: 'u-1', decision: 'injected', durationMs: 0.12, reason: undefined });
    log.debug('not shown at info');
    log.child({ controller: 'istiooperator' }).warn('slow', { name: 'x' });
    const [first, second, ...rest] = lines();
    expect(rest).toEqual([]);
    expect(first).toEqual({
      level: 'info',
      message: 'admission',
      uid: 'u-1',
      decision: 'injected',
      durationMs: 0.12,
      timestamp: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
    });
    expect(second).toMatchObject({ level: 'warn', message: 'slow', controller: 'istiooperator', name: 'x' });
  });

  it('keeps an error message and stack, turns bigints into strings, and survives a cycle', () => {
    const { lines, stream } = capture();
    const log = createLogger({ stream });
    log.error(new Error('boom'));
    log.info('big', { n: 12345678901234567890n });
    const cyclic: Record<string, unknown> = { a: 1 };
    cyclic.self = cyclic;
    log.info('cycle', { cyclic });
    const [err, big, cycle] = lines();
    expect(err).toMatchObject({
      level: 'error',
      message: 'boom',
      stack: expect.stringContaining('Error: boom'),
    });
    expect(big).toMatchObject({ n: '12345678901234567890' });
    expect(cycle).toMatchObject({ message: 'cycle', cyclic: { a: 1, self: '[Circular]' } });
  });

  it('follows the level, also when it changes, through children of children, in call order', () => {
    const { lines, stream } = capture();
    const log = createLogger({ stream, level: 'warn' });
    const child = log.child({ component: 'webhook' }).child({ revision: 'canary' });
    child.info('dropped at warn');
    child.error('kept', { n: 1 });
    log.level = 'debug';
    child.debug('kept at debug', { n: 2 });
    log.info('root', { n: 3 });
    expect(lines().map((l) => [l.level, l.message, l.n, l.component, l.revision])).toEqual([
      ['error', 'kept', 1, 'webhook', 'canary'],
      ['debug', 'kept at debug', 2, 'webhook', 'canary'],
      ['info', 'root', 3, undefined, undefined],
    ]);
  });
});
