// Test fixtures: a tiny tar writer (ustar, pax `path`, GNU `L` long names) so tests build release
// archives at run time from ../shared/reference, good and hostile, and a loopback HTTP server that
// serves them and counts requests.
import { createHash } from 'node:crypto';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { join, relative } from 'node:path';
import { gzipSync } from 'node:zlib';

export const REFERENCE = join(__dirname, '../../../../shared/reference');
export const referenceManifests = (version: string): string =>
  join(REFERENCE, `istio-${version}`, 'manifests');

export interface FixtureEntry {
  readonly name: string;
  readonly type?: 'file' | 'directory' | 'symlink' | 'hardlink' | 'fifo';
  readonly data?: Buffer | string;
  readonly linkName?: string;
  readonly mode?: number;
  /** How to carry a name over 100 bytes. */
  readonly longName?: 'pax' | 'gnu';
}

const FLAGS = { file: '0', hardlink: '1', symlink: '2', directory: '5', fifo: '6' } as const;

function header(
  name: string,
  flag: string,
  size: number,
  mode: number,
  linkName: string,
  magic: string,
): Buffer {
  const h = Buffer.alloc(512);
  h.write(name.slice(0, 100), 0, 'utf8');
  h.write(mode.toString(8).padStart(7, '0') + '\0', 100, 'latin1');
  h.write('0000000\0', 108, 'latin1');
  h.write('0000000\0', 116, 'latin1');
  h.write(size.toString(8).padStart(11, '0') + '\0', 124, 'latin1');
  h.write('00000000000\0', 136, 'latin1');
  h.write(flag, 156, 'latin1');
  h.write(linkName.slice(0, 100), 157, 'utf8');
  h.write(magic, 257, 'latin1');
  h.fill(0x20, 148, 156);
  let sum = 0;
  for (const b of h) sum += b;
  h.write(sum.toString(8).padStart(6, '0') + '\0 ', 148, 'latin1');
  return h;
}

const pad = (b: Buffer): Buffer => Buffer.concat([b, Buffer.alloc((512 - (b.length % 512)) % 512)]);

function paxRecord(key: string, value: string): string {
  const body = ` ${key}=${value}\n`;
  let len = body.length + 1;
  while (String(len).length + body.length !== len) len = String(len).length + body.length;
  return `${len}${body}`;
}

export function tarEntry(e: FixtureEntry): Buffer {
  const type = e.type ?? 'file';
  const data = type === 'file' ? Buffer.from(e.data ?? '') : Buffer.alloc(0);
  const mode = e.mode ?? (type === 'directory' ? 0o755 : 0o644);
  const parts: Buffer[] = [];
  let name = e.name;
  if (Buffer.byteLength(name) > 100) {
    const long = Buffer.from(name + (e.longName === 'gnu' ? '\0' : ''));
    if (e.longName === 'gnu')
      parts.push(header('././@LongLink', 'L', long.length, 0o644, '', 'ustar  \0'), pad(long));
    else {
      const pax = Buffer.from(paxRecord('path', name));
      parts.push(header('PaxHeader', 'x', pax.length, 0o644, '', 'ustar\x0000'), pad(pax));
    }
    name = name.slice(0, 100);
  }
  parts.push(header(name, FLAGS[type], data.length, mode, e.linkName ?? '', 'ustar\x0000'), pad(data));
  return Buffer.concat(parts);
}

export function tarGz(entries: readonly FixtureEntry[]): Buffer {
  return gzipSync(Buffer.concat([...entries.map(tarEntry), Buffer.alloc(1024)]));
}

/** Entries of a release archive: `istio-<v>/` with a stand-in istioctl, then `manifests/` from `dir`. */
export function releaseEntries(version: string, dir: string): FixtureEntry[] {
  const top = `istio-${version}`;
  const out: FixtureEntry[] = [
    { name: `${top}/`, type: 'directory' },
    { name: `${top}/bin/istioctl`, data: Buffer.alloc(300_000, 7), mode: 0o755 },
    { name: `${top}/manifests/`, type: 'directory' },
  ];
  const walk = (d: string): void => {
    for (const name of readdirSync(d).sort()) {
      const p = join(d, name);
      const rel = `${top}/manifests/${relative(dir, p)}`;
      if (statSync(p).isDirectory()) {
        out.push({ name: `${rel}/`, type: 'directory' });
        walk(p);
      } else out.push({ name: rel, data: readFileSync(p) });
    }
  };
  walk(dir);
  return out;
}

export const sha256 = (b: Buffer): string => createHash('sha256').update(b).digest('hex');

export type Handler = (req: IncomingMessage, res: ServerResponse) => void;

export interface TestServer {
  readonly url: string;
  /** Requests seen, by path. */
  readonly hits: Map<string, number>;
  readonly routes: Map<string, Handler>;
  close(): Promise<void>;
}

/** A loopback server; unknown paths answer 404. */
export async function startServer(): Promise<TestServer> {
  const hits = new Map<string, number>();
  const routes = new Map<string, Handler>();
  const server: Server = createServer((req, res) => {
    const path = (req.url ?? '').split('?')[0]!;
    hits.set(path, (hits.get(path) ?? 0) + 1);
    const route = routes.get(path);
    if (route) route(req, res);
    else res.writeHead(404).end('not found');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    hits,
    routes,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

export const serveBytes =
  (body: Buffer): Handler =>
  (_req, res) => {
    res.writeHead(200, { 'content-length': body.length }).end(body);
  };

/** Serves an archive at `<base path>/<v>/istio-<v>-linux-amd64.tar.gz` with its `.sha256`. */
export function serveRelease(server: TestServer, prefix: string, version: string, archive: Buffer): string {
  const name = `istio-${version}-linux-amd64.tar.gz`;
  const path = `${prefix}/${version}/${name}`;
  server.routes.set(path, serveBytes(archive));
  server.routes.set(`${path}.sha256`, serveBytes(Buffer.from(`${sha256(archive)}  ${name}\n`)));
  return path;
}
