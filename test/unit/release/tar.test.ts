import { parsePax, readTar, TarError, type TarEntry } from '../../../release/tar';
import { tarEntry } from './fixtures';

const limits = { maxEntries: 100, maxMetaBytes: 4096 };
const END = Buffer.alloc(1024);

/** Reads a tar held in memory (in odd-sized chunks, as a gunzip stream delivers it), keeping file data. */
async function read(tar: Buffer, chunk = 333): Promise<{ entry: TarEntry; data?: string }[]> {
  const out: { entry: TarEntry; data?: string }[] = [];
  async function* chunks() {
    for (let i = 0; i < tar.length; i += chunk) yield tar.subarray(i, i + chunk);
  }
  await readTar(chunks(), limits, (entry) => {
    const item: { entry: TarEntry; data?: string } = { entry };
    out.push(item);
    if (entry.type !== 'file') return Promise.resolve(undefined);
    return Promise.resolve((d: Buffer) => {
      item.data = d.toString();
      return Promise.resolve();
    });
  });
  return out;
}

/** Rewrites header bytes and fixes the checksum, to build shapes the fixture writer does not. */
function patch(block: Buffer, edit: (h: Buffer) => void): Buffer {
  const h = Buffer.from(block.subarray(0, 512));
  edit(h);
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return Buffer.concat([h, block.subarray(512)]);
}

describe('tar reader', () => {
  it('reads files, directories, links and the ustar prefix field', async () => {
    const prefixed = patch(tarEntry({ name: 'name.yaml', data: 'p' }), (h) =>
      h.write('some/prefix', 345, 'latin1'),
    );
    const entries = await read(
      Buffer.concat([
        tarEntry({ name: 'd/', type: 'directory' }),
        tarEntry({ name: 'd/f', data: 'hello' }),
        tarEntry({ name: 'd/s', type: 'symlink', linkName: 'f' }),
        prefixed,
        END,
      ]),
    );
    expect(entries.map((e) => [e.entry.name, e.entry.type, e.entry.linkName, e.data])).toEqual([
      ['d/', 'directory', '', undefined],
      ['d/f', 'file', '', 'hello'],
      ['d/s', 'symlink', 'f', undefined],
      ['some/prefix/name.yaml', 'file', '', 'p'],
    ]);
  });

  it('reads a GNU base-256 size and a pax size override', async () => {
    const big = patch(tarEntry({ name: 'b', data: 'abc' }), (h) => {
      h.fill(0, 124, 136);
      h[124] = 0x80;
      h[135] = 3;
    });
    const pax = Buffer.from('12 size=003\n');
    const paxHeader = patch(tarEntry({ name: 'PaxHeader', data: pax }), (h) => h.write('x', 156, 'latin1'));
    const overridden = patch(tarEntry({ name: 'c', data: 'xyz' }), (h) =>
      h.write('00000000001\0', 124, 'latin1'),
    );
    const entries = await read(Buffer.concat([big, paxHeader, overridden, END]));
    expect(entries.map((e) => [e.entry.name, e.data])).toEqual([
      ['b', 'abc'],
      ['c', 'xyz'],
    ]);
  });

  it('refuses a bad checksum, a missing end marker, a cut entry and too many entries', async () => {
    const good = tarEntry({ name: 'f', data: 'x'.repeat(600) });
    const corrupt = Buffer.from(good);
    corrupt[0] = 0x41;
    await expect(read(Buffer.concat([corrupt, END]))).rejects.toThrow('header checksum mismatch at entry 1');
    await expect(read(good)).rejects.toThrow('archive is truncated (no end-of-archive marker)');
    await expect(read(good.subarray(0, 700))).rejects.toThrow('archive is truncated (in f)');
    await expect(read(good.subarray(0, 100))).rejects.toThrow('archive is truncated (in a header)');
    const many = Buffer.concat([...Array.from({ length: 101 }, (_, i) => tarEntry({ name: `f${i}` })), END]);
    await expect(read(many)).rejects.toThrow('archive has more than 100 entries');
    const bad = patch(good, (h) => h.write('9999', 124, 'latin1'));
    await expect(read(Buffer.concat([bad, END]))).rejects.toThrow(TarError);
  });

  it('parses pax records and refuses malformed ones', () => {
    expect([...parsePax(Buffer.from('30 path=a/very/long/name.yaml\n10 uid=42\n'))]).toEqual([
      ['path', 'a/very/long/name.yaml'],
      ['uid', '42'],
    ]);
    expect(() => parsePax(Buffer.from('99 path=x\n'))).toThrow('malformed pax extended header');
    expect(() => parsePax(Buffer.from('8 pathx\n'))).toThrow('malformed pax extended header record');
  });
});
