// A small streaming tar reader (POSIX ustar, pax extended headers, GNU long names), enough for Istio's
// release archives. It yields one header at a time and hands over a file's bytes only when the caller
// asks for them, so the large binaries beside `manifests/` (istioctl) are skipped, never buffered.

/** A structural problem in the tar stream (bad checksum, truncation, a malformed header). */
export class TarError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'TarError';
  }
}

export type TarEntryType = 'file' | 'directory' | 'symlink' | 'hardlink' | 'other';

export interface TarEntry {
  /** The entry's path as written in the archive (pax and GNU long names applied). */
  readonly name: string;
  readonly type: TarEntryType;
  /** The raw type flag, for error messages about unsupported entries. */
  readonly flag: string;
  readonly size: number;
  readonly mode: number;
  /** Target of a symlink or hard link ('' otherwise). */
  readonly linkName: string;
}

export interface TarLimits {
  /** Entries in the whole archive, metadata entries included. */
  readonly maxEntries: number;
  /** Bytes of one metadata record (pax header, GNU long name). */
  readonly maxMetaBytes: number;
}

const BLOCK = 512;

/** Pulls exact byte counts out of an async stream of chunks. */
class ByteReader {
  private chunks: Buffer[] = [];
  private buffered = 0;
  private done = false;
  private readonly it: AsyncIterator<Buffer>;

  constructor(source: AsyncIterable<Buffer>) {
    this.it = source[Symbol.asyncIterator]();
  }

  /** Up to `n` bytes; fewer only at the end of the stream. */
  async read(n: number): Promise<Buffer> {
    while (this.buffered < n && !this.done) {
      const next = await this.it.next();
      if (next.done) this.done = true;
      else {
        const chunk = Buffer.isBuffer(next.value) ? next.value : Buffer.from(next.value);
        this.chunks.push(chunk);
        this.buffered += chunk.length;
      }
    }
    const all = this.chunks.length === 1 ? this.chunks[0]! : Buffer.concat(this.chunks);
    const out = all.subarray(0, Math.min(n, all.length));
    const rest = all.subarray(out.length);
    this.chunks = rest.length > 0 ? [rest] : [];
    this.buffered = rest.length;
    return out;
  }

  async exact(n: number, what: string): Promise<Buffer> {
    const b = await this.read(n);
    if (b.length < n) throw new TarError(`archive is truncated (in ${what})`);
    return b;
  }

  /** Discards `n` bytes without keeping them. */
  async skip(n: number, what: string): Promise<void> {
    let left = n;
    while (left > 0) {
      const b = await this.read(Math.min(left, 1 << 20));
      if (b.length === 0) throw new TarError(`archive is truncated (in ${what})`);
      left -= b.length;
    }
  }

  async close(): Promise<void> {
    await this.it.return?.();
  }
}

function text(block: Buffer, start: number, length: number): string {
  const field = block.subarray(start, start + length);
  const nul = field.indexOf(0);
  return field.subarray(0, nul === -1 ? field.length : nul).toString('utf8');
}

/** Octal numeric field, or GNU base-256 when the high bit of the first byte is set. */
function number(block: Buffer, start: number, length: number, field: string): number {
  const raw = block.subarray(start, start + length);
  if ((raw[0]! & 0x80) !== 0) {
    let value = raw[0]! & 0x7f;
    for (let i = 1; i < raw.length; i++) value = value * 256 + raw[i]!;
    if (!Number.isSafeInteger(value)) throw new TarError(`header field ${field} is out of range`);
    return value;
  }
  const digits = raw
    .toString('latin1')
    .replace(/[\0 ]+$/, '')
    .trim();
  if (digits === '') return 0;
  if (!/^[0-7]+$/.test(digits)) throw new TarError(`header field ${field} is not octal: "${digits}"`);
  return parseInt(digits, 8);
}

function checksumOk(block: Buffer): boolean {
  const stored = number(block, 148, 8, 'checksum');
  let sum = 0;
  for (let i = 0; i < BLOCK; i++) sum += i >= 148 && i < 156 ? 0x20 : block[i]!;
  return sum === stored;
}

/** Pax records: `<len> <key>=<value>\n`, len counting the whole record. */
export function parsePax(data: Buffer): Map<string, string> {
  const out = new Map<string, string>();
  let pos = 0;
  while (pos < data.length) {
    const space = data.indexOf(0x20, pos);
    if (space === -1) break;
    const len = Number(data.subarray(pos, space).toString('latin1'));
    if (!Number.isInteger(len) || len <= 0 || pos + len > data.length)
      throw new TarError('malformed pax extended header');
    const record = data.subarray(space + 1, pos + len - 1).toString('utf8');
    const eq = record.indexOf('=');
    if (eq === -1) throw new TarError('malformed pax extended header record');
    out.set(record.slice(0, eq), record.slice(eq + 1));
    pos += len;
  }
  return out;
}

function typeOf(flag: string): TarEntryType {
  switch (flag) {
    case '0':
    case '':
    case '7':
      return 'file';
    case '5':
      return 'directory';
    case '2':
      return 'symlink';
    case '1':
      return 'hardlink';
    default:
      return 'other';
  }
}

const padded = (size: number): number => Math.ceil(size / BLOCK) * BLOCK;

/**
 * Reads entries in order. For each, `onEntry` returns whether it wants the data; if so it gets the bytes
 * (the caller bounds `entry.size` before answering yes), else they are skipped.
 */
export async function readTar(
  source: AsyncIterable<Buffer>,
  limits: TarLimits,
  onEntry: (entry: TarEntry) => Promise<((data: Buffer) => Promise<void>) | undefined>,
): Promise<void> {
  const reader = new ByteReader(source);
  let entries = 0;
  let pax = new Map<string, string>();
  let globalPax = new Map<string, string>();
  let longName: string | undefined;
  let longLink: string | undefined;
  try {
    for (;;) {
      const header = await reader.read(BLOCK);
      if (header.length === 0) throw new TarError('archive is truncated (no end-of-archive marker)');
      if (header.length < BLOCK) throw new TarError('archive is truncated (in a header)');
      if (header.every((b) => b === 0)) return; // end of archive; trailing blocks need not be read
      if (++entries > limits.maxEntries)
        throw new TarError(`archive has more than ${limits.maxEntries} entries`);
      if (!checksumOk(header)) throw new TarError(`header checksum mismatch at entry ${entries}`);
      const flag = text(header, 156, 1);
      let size = number(header, 124, 12, 'size');
      if (flag === 'x' || flag === 'g' || flag === 'L' || flag === 'K') {
        if (size > limits.maxMetaBytes)
          throw new TarError(`metadata entry of ${size} bytes exceeds ${limits.maxMetaBytes}`);
        const data = await reader.exact(size, 'a metadata entry');
        await reader.skip(padded(size) - size, 'padding');
        if (flag === 'x') pax = parsePax(data);
        else if (flag === 'g') globalPax = new Map([...globalPax, ...parsePax(data)]);
        else {
          const value = text(data, 0, data.length);
          if (flag === 'L') longName = value;
          else longLink = value;
        }
        continue;
      }
      const ext = new Map([...globalPax, ...pax]);
      const magic = header.subarray(257, 263).toString('latin1');
      const prefix = magic === 'ustar\0' ? text(header, 345, 155) : '';
      const baseName = text(header, 0, 100);
      const name = ext.get('path') ?? longName ?? (prefix ? `${prefix}/${baseName}` : baseName);
      const linkName = ext.get('linkpath') ?? longLink ?? text(header, 157, 100);
      const paxSize = ext.get('size');
      if (paxSize !== undefined) {
        if (!/^\d+$/.test(paxSize)) throw new TarError(`pax size "${paxSize}" is not a number`);
        size = Number(paxSize);
      }
      pax = new Map();
      longName = undefined;
      longLink = undefined;
      const type = typeOf(flag);
      // Links and directories carry no data whatever their size field says.
      const dataSize = type === 'file' || type === 'other' ? size : 0;
      const entry: TarEntry = {
        name,
        type,
        flag,
        size: dataSize,
        mode: number(header, 100, 8, 'mode'),
        linkName,
      };
      const sink = await onEntry(entry);
      if (sink) {
        await sink(await reader.exact(dataSize, name));
        await reader.skip(padded(dataSize) - dataSize, name);
      } else await reader.skip(padded(dataSize), name);
    }
  } finally {
    await reader.close();
  }
}
