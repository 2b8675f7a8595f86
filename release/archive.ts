// Extracts `istio-<version>/manifests/**` from a release tar.gz, and nothing else, safely: names are
// checked before anything is written (no absolute paths, no `..`), links are created last and must
// resolve inside the tree, sizes and entry counts are bounded. The caller extracts into a fresh temp
// directory and renames it into place, so a half-extracted tree is never visible.
import { createReadStream } from 'node:fs';
import { copyFile, mkdir, realpath, symlink, writeFile } from 'node:fs/promises';
import { dirname, join, posix, relative, isAbsolute, sep } from 'node:path';
import { createGunzip } from 'node:zlib';
import { errorMessage } from '../lib/errors';
import { readTar, TarError, type TarEntry } from './tar';

export interface ExtractLimits {
  /** Entries in the whole archive (the official one has a few hundred). */
  readonly maxEntries: number;
  /** Bytes of one extracted file. */
  readonly maxFileBytes: number;
  /** Bytes of all extracted files together. */
  readonly maxTotalBytes: number;
  /** Bytes of the uncompressed tar stream (bounds a gzip bomb, istioctl included). */
  readonly maxTarBytes: number;
}

export const DEFAULT_EXTRACT_LIMITS: ExtractLimits = {
  maxEntries: 20_000,
  maxFileBytes: 16 << 20,
  maxTotalBytes: 256 << 20,
  maxTarBytes: 2 * 1024 ** 3,
};

/** Why an archive was refused; the provider wraps it in a ReleaseError. */
export class ArchiveError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'ArchiveError';
  }
}

export interface ExtractResult {
  readonly files: number;
  readonly bytes: number;
}

/** Archive name → path relative to the manifests tree, or undefined when outside it; throws if unsafe. */
export function manifestsPath(name: string, prefix: string): string | undefined {
  if (name.startsWith('/') || /^[A-Za-z]:/.test(name) || name.includes('\\'))
    throw new ArchiveError(`entry "${name}" has an absolute or non-POSIX path`);
  const parts = name.split('/').filter((p) => p !== '' && p !== '.');
  if (parts.includes('..')) throw new ArchiveError(`entry "${name}" contains ".."`);
  const want = prefix.split('/');
  if (parts.length < want.length || want.some((p, i) => parts[i] !== p)) return undefined;
  return parts.slice(want.length).join('/');
}

const escapes = (p: string): boolean => p === '..' || p.startsWith('../');

/** Counts bytes through the gunzip stream and stops at the cap. */
async function* capped(source: AsyncIterable<Buffer>, max: number): AsyncGenerator<Buffer> {
  let total = 0;
  for await (const chunk of source) {
    total += chunk.length;
    if (total > max) throw new ArchiveError(`uncompressed archive exceeds ${max} bytes`);
    yield chunk;
  }
}

/**
 * Extracts the manifests tree of `version` from the tar.gz at `archivePath` into `destDir` (created;
 * should not exist yet). Throws ArchiveError on anything unsafe, truncated or missing.
 */
export async function extractManifests(
  archivePath: string,
  version: string,
  destDir: string,
  limits: ExtractLimits = DEFAULT_EXTRACT_LIMITS,
): Promise<ExtractResult> {
  const top = `istio-${version}`;
  const prefix = `${top}/manifests`;
  await mkdir(destDir, { recursive: true });
  let files = 0;
  let bytes = 0;
  let sawTop = false;
  const written = new Set<string>();
  const links: { rel: string; target: string }[] = [];
  const hardlinks: { rel: string; from: string }[] = [];

  const onEntry = async (entry: TarEntry): Promise<((d: Buffer) => Promise<void>) | undefined> => {
    const rel = manifestsPath(entry.name, prefix);
    if (manifestsPath(entry.name, top) !== undefined) sawTop = true;
    if (rel === undefined) return undefined;
    const out = join(destDir, ...rel.split('/'));
    switch (entry.type) {
      case 'directory':
        await mkdir(out, { recursive: true });
        return undefined;
      case 'file': {
        if (entry.size > limits.maxFileBytes)
          throw new ArchiveError(
            `${entry.name} is ${entry.size} bytes, over the ${limits.maxFileBytes} limit`,
          );
        bytes += entry.size;
        if (bytes > limits.maxTotalBytes)
          throw new ArchiveError(`manifests exceed ${limits.maxTotalBytes} bytes`);
        if (rel === '') throw new ArchiveError(`${entry.name} is a file, not the manifests directory`);
        return async (data) => {
          await mkdir(dirname(out), { recursive: true });
          await writeFile(out, data, { mode: entry.mode & 0o111 ? 0o755 : 0o644, flag: 'wx' });
          written.add(rel);
          files++;
        };
      }
      case 'symlink':
        if (entry.linkName.startsWith('/'))
          throw new ArchiveError(`symlink ${entry.name} -> ${entry.linkName} is absolute`);
        if (escapes(posix.normalize(posix.join(posix.dirname(rel), entry.linkName))))
          throw new ArchiveError(`symlink ${entry.name} -> ${entry.linkName} escapes the manifests tree`);
        links.push({ rel, target: entry.linkName });
        return undefined;
      case 'hardlink': {
        const from = manifestsPath(entry.linkName, prefix);
        if (from === undefined || from === '')
          throw new ArchiveError(`hard link ${entry.name} -> ${entry.linkName} escapes the manifests tree`);
        hardlinks.push({ rel, from });
        return undefined;
      }
      default:
        throw new ArchiveError(`${entry.name} has unsupported tar type "${entry.flag}"`);
    }
  };

  const gunzip = createReadStream(archivePath).pipe(createGunzip());
  try {
    await readTar(
      capped(gunzip, limits.maxTarBytes),
      { maxEntries: limits.maxEntries, maxMetaBytes: 64 << 10 },
      onEntry,
    );
  } catch (err) {
    if (err instanceof ArchiveError) throw err;
    if (err instanceof TarError) throw new ArchiveError(err.message);
    const code = (err as NodeJS.ErrnoException).code;
    if (code === 'Z_BUF_ERROR' || code === 'Z_DATA_ERROR' || /unexpected end of file/.test(String(err)))
      throw new ArchiveError(`not a complete gzip stream (${errorMessage(err)})`);
    if (code === 'EEXIST') throw new ArchiveError(`archive holds a file twice (${errorMessage(err)})`);
    throw err;
  } finally {
    gunzip.destroy();
  }
  if (files === 0)
    throw new ArchiveError(
      sawTop
        ? `archive has no ${prefix}/ files`
        : `archive has no ${top}/ top directory (wrong version or not an Istio release)`,
    );

  // Links last: no entry was ever written through a link, and each must resolve inside the tree.
  for (const h of hardlinks) {
    if (!written.has(h.from)) throw new ArchiveError(`hard link ${h.rel} names ${h.from}, which is no file`);
    const out = join(destDir, ...h.rel.split('/'));
    await mkdir(dirname(out), { recursive: true });
    await copyFile(join(destDir, ...h.from.split('/')), out);
    files++;
  }
  for (const l of links) {
    const out = join(destDir, ...l.rel.split('/'));
    await mkdir(dirname(out), { recursive: true });
    await symlink(l.target, out);
  }
  const root = await realpath(destDir);
  for (const l of links) {
    const out = join(destDir, ...l.rel.split('/'));
    let real: string;
    try {
      real = await realpath(out);
    } catch {
      throw new ArchiveError(`symlink ${l.rel} -> ${l.target} is dangling`);
    }
    const r = relative(root, real);
    if (r.startsWith(`..${sep}`) || r === '..' || isAbsolute(r))
      throw new ArchiveError(`symlink ${l.rel} -> ${l.target} escapes the manifests tree`);
  }
  return { files, bytes };
}
