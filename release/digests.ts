// Archive digests Meshwright pins, by official archive name. A pinned digest is checked instead of the
// `.sha256` file published beside the archive, so a compromised mirror or download host cannot serve a
// different release together with a matching checksum file.
//
// Empty for now: pins are recorded only from archives actually downloaded and checked against Istio's
// published checksums, and this build was made without network access to the release host. Until an
// entry exists, verification uses the published `.sha256` (docs/release.md).
export const PINNED_DIGESTS: Readonly<Record<string, string>> = {};

/** Parses a `.sha256` file: `<hex>` or `<hex>  <file name>` (sha256sum's format, `*` binary marker allowed). */
export function parseChecksumFile(text: string, archiveName: string): string {
  const line = text.split(/\r?\n/).find((l) => l.trim() !== '');
  const m = line ? /^([0-9a-fA-F]{64})(?:\s+\*?(\S+))?\s*$/.exec(line.trim()) : null;
  if (!m) throw new Error('checksum file is not "<sha256 hex>  <file name>"');
  const name = m[2];
  if (name !== undefined && name.split('/').pop() !== archiveName)
    throw new Error(`checksum file names ${name}, not ${archiveName}`);
  return m[1]!.toLowerCase();
}
