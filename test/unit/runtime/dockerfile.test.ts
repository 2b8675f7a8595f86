// The operator image cannot be built here (no Docker, no registry for base images). What can be checked without
// Docker is checked here against the Dockerfile as written: the build context holds what its COPYs name, the
// shipped folders hold everything the CLI imports (and only production dependencies at run time), the runtime
// ENV names variables the code reads and paths the image has, the deployments run it as the image expects
// (uid, read-only root, /tmp emptyDir), and the build stage's `release pull` plus its clean-up give a releases
// dir that the runtime ENV renders the default IstioOperator from with no download. What stays unverified is in
// docs/deploy.md ("What is verified without Docker").
import { execFileSync } from 'node:child_process';
import { builtinModules } from 'node:module';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { dirname, join, posix, relative } from 'node:path';
import { parse, parseAllDocuments } from 'yaml';
import { DEFAULT_ISTIO_VERSION, generate } from '../../../cli/manifest';
import { runReleasePull } from '../../../cli/release';
import { createReleaseProvider, releaseOptionsFrom } from '../../../release';
import { helmBinary } from '../../../operator/render/helm/helm-process';
import { helm } from '../operator/charts/parity-helpers';
import { referenceManifests, releaseEntries, serveRelease, startServer, tarGz } from '../release/fixtures';
import {
  type Dockerfile,
  isIgnored,
  parseDockerfile,
  parseDockerignore,
  type Stage,
  stageCopies,
  stageEnv,
  stageWorkdir,
} from './dockerfile';

const ROOT = join(__dirname, '..', '..', '..');
const read = (p: string) => readFileSync(join(ROOT, p), 'utf8');
const docker: Dockerfile = parseDockerfile(read('Dockerfile'));
const ignore = parseDockerignore(read('.dockerignore'));
const stage = (name: string): Stage => {
  const s = docker.stages.find((x) => x.name === name);
  if (!s) throw new Error(`Dockerfile has no stage ${name}`);
  return s;
};
const runtime = docker.stages[docker.stages.length - 1]!;
const runtimeEnv = stageEnv(runtime);
const istioVersions = (docker.globalArgs.ISTIO_VERSIONS ?? '').split(/\s+/).filter(Boolean);

/** Where a runtime-stage COPY puts `source` of stage `from` (absolute path in the image). */
function imagePathOf(from: string, source: string): string {
  const c = stageCopies(runtime).find((x) => x.from === from && x.sources.includes(source));
  if (!c) throw new Error(`the runtime stage copies no ${source} from ${from}`);
  return posix.resolve(stageWorkdir(runtime), c.dest);
}

describe('Dockerfile: the build context', () => {
  it('holds every path a COPY takes from it (.dockerignore leaves none out)', () => {
    const sources = docker.stages.flatMap((s) =>
      stageCopies(s)
        .filter((c) => c.from === undefined)
        .flatMap((c) => c.sources),
    );
    expect(sources.length).toBeGreaterThan(5);
    for (const src of sources) {
      expect({ src, exists: existsSync(join(ROOT, src)) }).toEqual({ src, exists: true });
      expect({ src, ignored: isIgnored(ignore, src) }).toEqual({ src, ignored: false });
    }
    // The rules themselves: local state and keys stay out.
    for (const p of ['.git', 'node_modules/x', 'test/unit/a.ts', 'hack/cluster/cli.ts', 'tls.key', 'a.log'])
      expect({ p, ignored: isIgnored(ignore, p) }).toEqual({ p, ignored: true });
  });

  it('the helm stage copies every file its build script reads', () => {
    const copied = stageCopies(stage('helm')).flatMap((c) => c.sources);
    // build-helm.sh runs build-go-tool.sh with the wrapper module hack/helm (go.mod, go.sum).
    expect(read('hack/build-helm.sh')).toContain('build-go-tool.sh" helm ');
    for (const p of ['hack/build-helm.sh', 'hack/build-go-tool.sh', 'hack/helm']) expect(copied).toContain(p);
    expect(readdirSync(join(ROOT, 'hack', 'helm')).sort()).toEqual(['go.mod', 'go.sum']);
  });
});

describe('Dockerfile: what the build stage compiles', () => {
  const copiedFolders = stageCopies(stage('build'))
    .filter((c) => c.from === undefined)
    .flatMap((c) => c.sources);
  const pkg = JSON.parse(read('package.json')) as { dependencies: Record<string, string> };

  /** Every module reachable from the CLI by relative imports, with the packages each imports at run time. */
  function importClosure(entry: string): { files: string[]; runtimePackages: Map<string, string> } {
    const files = new Set<string>();
    const runtimePackages = new Map<string, string>();
    const resolve = (from: string, spec: string): string => {
      const base = join(dirname(from), spec);
      for (const c of [`${base}.ts`, join(base, 'index.ts'), base])
        if (existsSync(c) && statSync(c).isFile()) return c;
      throw new Error(`${relative(ROOT, from)}: cannot resolve ${spec}`);
    };
    const visit = (file: string): void => {
      if (files.has(file)) return;
      files.add(file);
      const text = readFileSync(file, 'utf8');
      for (const m of text.matchAll(
        /(?:^|\n)\s*(import|export)\s+(type\s+)?(?:[^'";]*?\sfrom\s+)?'([^']+)'|require\('([^']+)'\)|import\('([^']+)'\)/g,
      )) {
        const spec = m[3] ?? m[4] ?? m[5]!;
        const typeOnly = m[2] !== undefined;
        if (spec.startsWith('.')) visit(resolve(file, spec));
        else if (!typeOnly) {
          const name = spec.startsWith('@') ? spec.split('/').slice(0, 2).join('/') : spec.split('/')[0]!;
          if (!name.startsWith('node:') && !builtinModules.includes(name))
            runtimePackages.set(name, relative(ROOT, file));
        }
      }
    };
    visit(join(ROOT, entry));
    return { files: [...files].map((f) => relative(ROOT, f)), runtimePackages };
  }

  it('the folders it copies hold every module the CLI imports', () => {
    const { files } = importClosure('cli/main.ts');
    expect(files.length).toBeGreaterThan(100);
    const outside = files.filter((f) => !copiedFolders.includes(f.split('/')[0]!));
    expect(outside).toEqual([]);
  });

  it('the CLI needs only production dependencies at run time (dev ones are pruned)', () => {
    expect(read('Dockerfile')).toMatch(/npm prune --omit=dev/);
    const { runtimePackages } = importClosure('cli/main.ts');
    expect(runtimePackages.size).toBeGreaterThan(3);
    const notProduction = [...runtimePackages].filter(([name]) => !(name in pkg.dependencies));
    expect(notProduction).toEqual([]);
  });

  it('the launcher the entrypoint runs loads dist/cli/main.js, which the image has', () => {
    const entry = runtime.instructions.find((i) => i.op === 'ENTRYPOINT');
    const argv = JSON.parse(entry?.args ?? '[]') as string[];
    expect(argv).toEqual(['node', '/app/bin/meshwright.js']);
    expect(read('bin/meshwright.js')).toContain("path.join(__dirname, '..', 'dist', 'cli', 'main.js')");
    expect(imagePathOf('build', '/src/dist')).toBe('/app/dist');
    expect(
      stageCopies(runtime).some(
        (c) => c.sources.includes('bin') && posix.resolve('/app', c.dest) === '/app/bin',
      ),
    ).toBe(true);
    // tsc writes dist/cli/main.js for cli/main.ts (rootDir .), which the build stage checks.
    expect(read('Dockerfile')).toContain('test -f dist/cli/main.js');
  });
});

describe('Dockerfile: the runtime stage against config/ and the Helm chart', () => {
  it('its ENV names what the code reads, at paths the image has', () => {
    const env = {
      MESHWRIGHT_RELEASES_DIR: runtimeEnv.MESHWRIGHT_RELEASES_DIR,
      MESHWRIGHT_RELEASE_CACHE: runtimeEnv.MESHWRIGHT_RELEASE_CACHE,
      MESHWRIGHT_HELM: runtimeEnv.MESHWRIGHT_HELM,
    };
    const opts = releaseOptionsFrom({}, env);
    expect(opts.releasesDir).toBe(imagePathOf('build', '/releases'));
    expect(opts.cacheDir).toBe(env.MESHWRIGHT_RELEASE_CACHE);
    expect(helmBinary(env)).toBe(imagePathOf('helm', '/helm'));
    // The only writable place of a read-only root is the /tmp emptyDir: the download cache must be under it.
    expect(opts.cacheDir.startsWith('/tmp/')).toBe(true);
  });

  it('the first baked release is the operator’s default version', () => {
    expect(istioVersions.length).toBeGreaterThan(0);
    expect(istioVersions[0]).toBe(DEFAULT_ISTIO_VERSION);
  });

  const user = (): { uid: number; gid: number } => {
    const u = runtime.instructions.filter((i) => i.op === 'USER').pop()?.args ?? '';
    const [uid, gid] = u.split(':').map(Number);
    return { uid: uid!, gid: gid! };
  };

  type Deployment = {
    kind: string;
    metadata: { name: string };
    spec: {
      template: {
        spec: {
          securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; runAsGroup?: number };
          containers: {
            securityContext?: { readOnlyRootFilesystem?: boolean };
            volumeMounts?: { name: string; mountPath: string }[];
          }[];
          volumes?: { name: string; emptyDir?: unknown }[];
        };
      };
    };
  };

  const checkDeployment = (d: Deployment, where: string) => {
    const pod = d.spec.template.spec;
    const { uid, gid } = user();
    expect({ where, ...pod.securityContext }).toMatchObject({
      where,
      runAsNonRoot: true,
      runAsUser: uid,
      runAsGroup: gid,
    });
    for (const c of pod.containers) {
      expect({ where, ro: c.securityContext?.readOnlyRootFilesystem }).toEqual({ where, ro: true });
      const tmp = c.volumeMounts?.find((m) => m.mountPath === '/tmp');
      expect({ where, tmp: tmp !== undefined }).toEqual({ where, tmp: true });
      expect(pod.volumes?.find((v) => v.name === tmp?.name)?.emptyDir).toBeDefined();
    }
  };

  it('runs as a non-root uid (the same in config/manager), read-only root, /tmp an emptyDir', () => {
    expect(user().uid).toBeGreaterThan(0);
    for (const file of ['config/manager/operator.yaml', 'config/manager/webhook.yaml']) {
      const d = parseAllDocuments(read(file))
        .map((x) => x.toJS() as Deployment | null)
        .find((x) => x?.kind === 'Deployment');
      if (!d) throw new Error(`${file} has no Deployment`);
      checkDeployment(d, file);
    }
  });

  it('the Helm chart renders both Deployments the same way', () => {
    const out = execFileSync(
      helm(),
      ['template', 'mw', join(ROOT, 'charts', 'meshwright'), '-n', 'meshwright-system'],
      {
        encoding: 'utf8',
      },
    );
    const deployments = parseAllDocuments(out)
      .map((x) => x.toJS() as Deployment | null)
      .filter((x): x is Deployment => x?.kind === 'Deployment');
    expect(deployments.map((d) => d.metadata.name).sort()).toEqual([
      'meshwright-operator',
      'meshwright-webhook',
    ]);
    for (const d of deployments) checkDeployment(d, `chart ${d.metadata.name}`);
  });
});

describe("Dockerfile: the build stage's release pull, then the runtime ENV, without Docker", () => {
  let dir = '';
  afterEach(() => dir && rmSync(dir, { recursive: true, force: true }));

  it('pulls the baked versions into a releases dir that renders the default IstioOperator with no download', async () => {
    const pull = stage('build').instructions.find((i) => i.op === 'RUN' && i.args.includes('release pull'));
    if (!pull) throw new Error('the build stage runs no `meshwright release pull`');
    // `node bin/meshwright.js release pull --release-cache /releases ${ISTIO_VERSIONS} && find /releases ...`
    const m = /release pull --release-cache (\S+) \$\{ISTIO_VERSIONS\}\s*&&\s*(find .*)$/.exec(pull.args);
    if (!m) throw new Error(`unexpected release pull step: ${pull.args}`);
    const [, target, cleanup] = m as unknown as [string, string, string];
    dir = mkdtempSync(join(tmpdir(), 'mw-image-'));
    const releases = join(dir, 'releases');

    // The official location stands behind a loopback mirror serving archives built from ../shared/reference
    // (the checksum is the .sha256 beside it: release/digests.ts pins none yet).
    const server = await startServer();
    try {
      for (const v of istioVersions)
        serveRelease(server, '/official', v, tarGz(releaseEntries(v, referenceManifests(v))));
      const out: string[] = [];
      const err: string[] = [];
      const code = await runReleasePull(
        ['--release-cache', releases, '--release-offline', ...istioVersions],
        (l) => out.push(l),
        (l) => err.push(l),
        { MESHWRIGHT_RELEASE_MIRROR: `${server.url}/official` },
      );
      expect({ code, err }).toEqual({ code: 0, err: [] });
      expect(out.map((l) => l.split('\t')[0])).toEqual(istioVersions);
    } finally {
      await server.close();
    }
    // The Dockerfile's own clean-up, run as written on our directory.
    execFileSync('bash', ['-c', cleanup.split(target).join(releases)]);
    expect(readdirSync(releases).sort()).toEqual(istioVersions.map((v) => `istio-${v}`).sort());

    // The runtime ENV, its paths mapped into the temp directory; the cache dir is never created.
    const cache = join(dir, 'tmp', 'meshwright', 'releases');
    const env = {
      MESHWRIGHT_RELEASES_DIR: releases,
      MESHWRIGHT_RELEASE_CACHE: cache,
      MESHWRIGHT_HELM: helm(),
    };
    const provider = createReleaseProvider({
      ...releaseOptionsFrom({}, env),
      // Any attempt to download would fail loudly instead of reaching the network.
      officialBaseUrl: 'http://127.0.0.1:9/nowhere',
    });
    const iop = parse(read('config/samples/install_v1alpha1_istiooperator_default.yaml')) as unknown;
    const { yaml, release } = await generate({
      files: [{ name: 'default', text: JSON.stringify(iop) }],
      setFlags: [],
      releases: provider,
      helm: helmBinary(env),
    });
    expect(release.version).toBe(DEFAULT_ISTIO_VERSION);
    expect(release.source).toContain(releases);
    expect(yaml).toContain('kind: Deployment');
    expect(yaml).toContain(`image: docker.io/istio/pilot:${DEFAULT_ISTIO_VERSION}`);
    expect(existsSync(cache)).toBe(false);
  }, 120_000);
});
