// ChartRenderer that runs `helm template` (the only place that spawns a process for rendering). The values
// go through a private temp file; the output is split on helm's `# Source:` markers so each document keeps
// the template it came from. Options mirror istioctl's in-process engine call: release `istio` (given by
// the caller), the component namespace, a fixed kube version, install (not upgrade), CRDs included.
import { spawn } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { CORE_SCHEMA, loadAll } from 'js-yaml';
import { isPlainObject } from '../../../lib/istio/merge';
import {
  HelmError,
  type ChartRenderer,
  type RenderedDocument,
  type TemplateOptions,
  type TemplateRequest,
} from './chart-renderer';
import { errorMessage } from '../../../lib/errors';

export interface HelmProcessOptions {
  /** The helm binary: MESHWRIGHT_HELM, else `helm` on PATH (see helmBinary()). */
  readonly binary: string;
  /** Kills helm after this long (a chart with a runaway template must not hang a reconcile). */
  readonly timeoutMs?: number;
  /** At most this many helm processes at once (the machine's cores are shared). */
  readonly concurrency?: number;
}

/** The helm binary product code uses: $MESHWRIGHT_HELM or `helm` on PATH. */
export function helmBinary(env: NodeJS.ProcessEnv = process.env): string {
  return env.MESHWRIGHT_HELM?.trim() || 'helm';
}

const DEFAULT_TIMEOUT_MS = 60_000;
const MAX_STDERR = 64 * 1024;

export class HelmProcessRenderer implements ChartRenderer {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(private readonly opts: HelmProcessOptions) {}

  async template(req: TemplateRequest, options: TemplateOptions = {}): Promise<RenderedDocument[]> {
    options.signal?.throwIfAborted();
    await this.acquire();
    const dir = await mkdtemp(join(tmpdir(), 'meshwright-helm-'));
    try {
      const valuesFile = join(dir, 'values.json');
      // JSON is YAML: helm reads it as a values file, with no YAML re-typing of strings.
      await writeFile(valuesFile, JSON.stringify(req.values), { mode: 0o600 });
      const args = [
        'template',
        req.releaseName,
        req.chartDir,
        '--namespace',
        req.namespace,
        '--values',
        valuesFile,
        '--kube-version',
        req.kubeVersion,
        '--include-crds',
      ];
      const stdout = await this.run(args, req.chartDir, options.signal);
      return splitRendered(stdout, req.chartDir);
    } finally {
      this.release();
      await rm(dir, { recursive: true, force: true });
    }
  }

  private run(args: string[], chartDir: string, signal?: AbortSignal): Promise<string> {
    return new Promise((resolve, reject) => {
      const child = spawn(this.opts.binary, args, {
        stdio: ['ignore', 'pipe', 'pipe'],
        signal,
        timeout: this.opts.timeoutMs ?? DEFAULT_TIMEOUT_MS,
        // No kubeconfig: rendering never talks to a cluster.
        env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? tmpdir(), KUBECONFIG: '/dev/null' },
      });
      const out: Buffer[] = [];
      let err = '';
      child.stdout.on('data', (b: Buffer) => out.push(b));
      child.stderr.on('data', (b: Buffer) => {
        if (err.length < MAX_STDERR) err += b.toString('utf8');
      });
      child.on('error', (e: NodeJS.ErrnoException) => {
        if (e.name === 'AbortError') reject(e);
        else if (e.code === 'ENOENT')
          reject(
            new HelmError(chartDir, '', `helm binary ${this.opts.binary} not found (set MESHWRIGHT_HELM)`),
          );
        else reject(new HelmError(chartDir, err, `helm ${args[0]}: ${e.message}`));
      });
      child.on('close', (code, sig) => {
        if (signal?.aborted) return reject(signal.reason as Error);
        if (code === 0) return resolve(Buffer.concat(out).toString('utf8'));
        const why = sig ? `killed by ${sig} (timeout?)` : `exit code ${code}`;
        const detail = err.trim() || why;
        reject(new HelmError(chartDir, err, `helm template ${chartDir}: ${detail}`));
      });
    });
  }

  private async acquire(): Promise<void> {
    const limit = Math.max(1, this.opts.concurrency ?? 2);
    if (this.running < limit) {
      this.running++;
      return;
    }
    await new Promise<void>((r) => this.waiting.push(r));
  }

  private release(): void {
    const next = this.waiting.shift();
    if (next) next();
    else this.running--;
  }
}

const SOURCE = /^# Source: (.+)$/m;

/**
 * Splits helm's stdout (`---\n# Source: x\n<yaml>`) into documents, dropping empty ones. js-yaml with the core
 * schema (JSON types, no timestamps): a fraction of the `yaml` package's time and garbage on a release's
 * megabytes of output (the operator's memory peaks while it renders).
 */
export function splitRendered(stdout: string, chartDir: string): RenderedDocument[] {
  const docs: RenderedDocument[] = [];
  let source = '';
  for (const chunk of stdout.split(/^---[ \t]*$/m)) {
    const m = SOURCE.exec(chunk);
    if (m) source = m[1].trim();
    let parsed: unknown[];
    try {
      parsed = loadAll(chunk, undefined, { schema: CORE_SCHEMA, filename: source || chartDir });
    } catch (err) {
      const why = errorMessage(err).split('\n')[0];
      throw new HelmError(chartDir, '', `helm output of ${source || chartDir}: ${why}`);
    }
    // Copied: js-yaml's scalars are slices of the chunk, so the memoized render would hold every chunk's
    // text beside its objects (a heap snapshot: 1.6 MiB of YAML source for two revisions).
    for (const value of parsed)
      if (isPlainObject(value)) docs.push({ source, object: structuredClone(value) });
  }
  return docs;
}
