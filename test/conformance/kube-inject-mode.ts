// Mode `kube-inject`: the whole input file through the stream transformer, compared with `want`.
import type { V1Namespace } from '@kubernetes/client-node';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { kubeInject } from '../../webhook/kube-inject';
import type { InjectionConfig } from '../../inject/api';
import type { Case, Suite } from './cases';
import { diffObjects, formatDifference } from './diff';
import { parseDocs } from './docs';
import type { Engine } from './engine';
import { blankStatusVersion } from './normalize';
import { errorMessage } from '../../lib/errors';
import { checkExpectedError, fail, pass, type ModeResult } from './outcome';

export function runKubeInjectMode(
  engine: Engine,
  suite: Suite,
  c: Case,
  config: InjectionConfig,
  namespaces: Map<string, V1Namespace>,
  maxDiffs: number,
): ModeResult {
  const input = readFileSync(join(suite.dir, c.input), 'utf8');
  let result;
  try {
    result = kubeInject(input, { config, inject: engine.injectPod, namespaces });
  } catch (err) {
    if (c.expectedError) return checkExpectedError(c.expectedError, errorMessage(err));
    return { ...fail(`kube-inject failed: ${errorMessage(err)}`), textIdentical: c.want ? false : undefined };
  }
  if (c.expectedError) return checkExpectedError(c.expectedError, undefined);
  const problems: string[] = [];
  if (c.expectedWarning && !result.warnings.some((w) => w.includes(c.expectedWarning ?? ''))) {
    problems.push(
      `expected warning ${JSON.stringify(c.expectedWarning)}, got ${JSON.stringify(result.warnings)}`,
    );
  }
  let textIdentical: boolean | undefined;
  if (c.want) {
    const wantText = readFileSync(join(suite.dir, c.want), 'utf8');
    textIdentical = result.output === wantText;
    const want = parseDocs(wantText).map(blankStatusVersion);
    const got = parseDocs(result.output).map(blankStatusVersion);
    if (want.length !== got.length) problems.push(`want ${want.length} documents, got ${got.length}`);
    for (let i = 0; i < Math.min(want.length, got.length) && problems.length < maxDiffs; i++) {
      const prefix = want.length > 1 ? `doc[${i}].` : '';
      for (const d of diffObjects(want[i], got[i], maxDiffs - problems.length)) {
        problems.push(prefix + formatDifference(d));
      }
    }
  }
  return { ...(problems.length === 0 ? pass() : fail(...problems)), textIdentical };
}
