// The fast path: template texts byte-identical to a stock template Meshwright has verified run as the
// typed builders instead of the interpreter. Identity is the sha256 of the text exactly as the
// istio-discovery chart writes it into the `istio-sidecar-injector` ConfigMap (digests only: the text
// itself is upstream's). test/unit/inject/templates/stock-digests.test.ts renders both charts with the
// pinned Helm and checks this table; the equivalence test runs both suites through both paths.
import { createHash } from 'node:crypto';

export type StockKind = 'sidecar' | 'gateway' | 'grpc-simple' | 'grpc-agent';

export interface StockTemplate {
  /** The releases whose chart ships this text. */
  version: string;
  kind: StockKind;
  /**
   * The builders reproduce it: the equivalence test found no difference from the interpreter. False
   * keeps a known stock text on the interpreter until its builder catches up.
   */
  fast: boolean;
}

export const STOCK_DIGESTS: Readonly<Record<string, StockTemplate>> = {
  '3c0fedcfea11beb467613914306c1dc11fad57ceabb3b96390064368f5a77404': {
    version: '1.30.3',
    kind: 'sidecar',
    fast: true,
  },
  '79417fa7747079495dbc56e48cc01faff2b4c72476eaefd3fdabc9b7fad18d2b': {
    version: '1.30.3',
    kind: 'gateway',
    fast: true,
  },
  cc0c60252f24558ef15b6c2ba77350f3c84a52b16f0009fcee440e98ca94c2da: {
    version: '1.30.3 1.31.0-rc.0',
    kind: 'grpc-simple',
    fast: true,
  },
  '91fc2dafe45c16311bf11b2e98880ec4e05faa79485903b8c1ce386f5e8e2636': {
    version: '1.30.3 1.31.0-rc.0',
    kind: 'grpc-agent',
    fast: true,
  },
  '309fcc06fc91ac3a37e6974f194e67c1083dcfd3e64328aea2eb006e2a88749d': {
    version: '1.31.0-rc.0',
    kind: 'sidecar',
    fast: true,
  },
  aeb79a0ab6cf8c926ce024ec9ab82a4f4bb7f96b4bacef14aacacd151e10d94e: {
    version: '1.31.0-rc.0',
    kind: 'gateway',
    fast: true,
  },
};

export function templateDigest(text: string): string {
  return createHash('sha256').update(text, 'utf8').digest('hex');
}

/** The stock template `text` is, if any. */
export function stockTemplate(text: string): StockTemplate | undefined {
  const d = templateDigest(text);
  return Object.hasOwn(STOCK_DIGESTS, d) ? STOCK_DIGESTS[d] : undefined;
}
