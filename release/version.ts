// Which Istio release an IstioOperator asks for. The rule (docs/release.md):
//   1. an explicit override (the CLI's --istio-version, the operator's annotation) wins;
//   2. else the semver at the start of `spec.tag`, then of `spec.values.global.tag`
//      (`1.31.1`, `1.31.1-distroless`, `1.31.0-rc.0`);
//   3. else the operator's default version.
// A custom tag that is no Istio version (`latest`, `my-build`) names no release: rule 3 applies.
import { isPlainObject } from '../lib/istio/merge';

/** MAJOR.MINOR.PATCH with an optional pre-release (`-rc.0`, `-beta.1`, `-alpha.<sha>`). */
const ISTIO_VERSION = /^v?(\d+)\.(\d+)\.(\d+)((?:-(?:alpha|beta|rc)(?:\.[0-9A-Za-z]+)*)?)/;
/** Image variants that follow the version in a tag and are not part of it. */
const VARIANT = /^-(?:distroless|debug)$/;

export interface IstioVersion {
  readonly major: number;
  readonly minor: number;
  readonly patch: number;
  /** `-rc.0` etc., or '' for a release. */
  readonly prerelease: string;
}

/** Parses the version at the start of an image tag; undefined when the tag is no Istio version. */
export function parseIstioVersion(tag: string | number | undefined): IstioVersion | undefined {
  if (tag === undefined) return undefined;
  const text = String(tag);
  const m = ISTIO_VERSION.exec(text);
  if (!m) return undefined;
  const rest = text.slice(m[0].length);
  if (rest !== '' && !VARIANT.test(rest)) return undefined;
  return { major: Number(m[1]), minor: Number(m[2]), patch: Number(m[3]), prerelease: m[4] ?? '' };
}

export function formatIstioVersion(v: IstioVersion): string {
  return `${v.major}.${v.minor}.${v.patch}${v.prerelease}`;
}

/** Orders versions as semver does for these shapes: a pre-release sorts before its release. */
export function compareIstioVersions(a: IstioVersion, b: IstioVersion): number {
  if (a.major !== b.major) return a.major - b.major;
  if (a.minor !== b.minor) return a.minor - b.minor;
  if (a.patch !== b.patch) return a.patch - b.patch;
  if (a.prerelease === b.prerelease) return 0;
  if (a.prerelease === '') return 1;
  if (b.prerelease === '') return -1;
  return a.prerelease < b.prerelease ? -1 : 1;
}

export interface VersionChoice {
  readonly version: string;
  /** Which rule chose it, for logs and `manifest generate` comments. */
  readonly from: 'override' | 'spec.tag' | 'spec.values.global.tag' | 'default';
}

/**
 * What releaseVersionOf reads: a typed IstioOperator, or one merged from raw documents and `--set`
 * flags before validation (`manifest generate`), so the tags are read with guards, not assumed.
 */
export interface VersionedObject {
  readonly spec?: unknown;
}

const field = (obj: unknown, key: string): unknown => (isPlainObject(obj) ? obj[key] : undefined);
const tagIn = (v: unknown): string | number | undefined =>
  typeof v === 'string' || typeof v === 'number' ? v : undefined;

/** The release version of `iop` under the rule above. */
export function releaseVersionOf(
  iop: VersionedObject,
  defaultVersion: string,
  override?: string,
): VersionChoice {
  if (override) return { version: normalize(override), from: 'override' };
  const fromTag = parseIstioVersion(tagIn(field(iop.spec, 'tag')));
  if (fromTag) return { version: formatIstioVersion(fromTag), from: 'spec.tag' };
  const fromValues = parseIstioVersion(tagIn(field(field(field(iop.spec, 'values'), 'global'), 'tag')));
  if (fromValues) return { version: formatIstioVersion(fromValues), from: 'spec.values.global.tag' };
  return { version: normalize(defaultVersion), from: 'default' };
}

function normalize(version: string): string {
  const v = parseIstioVersion(version);
  if (!v) throw new Error(`"${version}" is not an Istio version (expected MAJOR.MINOR.PATCH, e.g. 1.31.0)`);
  return formatIstioVersion(v);
}
