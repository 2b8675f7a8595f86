// Passes the running control plane from globalSetup to globalTeardown. Both run in jest's main
// process (not in the test sandboxes), so a property on globalThis is shared between them.
export interface ClusterHandle {
  readonly dir: string;
  stop(): Promise<void>;
}

const KEY = '__meshwrightCluster';
type Holder = { [KEY]?: ClusterHandle };

export function setHandle(h: ClusterHandle): void {
  (globalThis as Holder)[KEY] = h;
}

export function takeHandle(): ClusterHandle | undefined {
  const holder = globalThis as Holder;
  const h = holder[KEY];
  delete holder[KEY];
  return h;
}
