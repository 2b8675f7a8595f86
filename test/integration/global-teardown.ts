// Jest globalTeardown of the integration project: stops the control plane globalSetup started and
// removes its work directory (kept when MESHWRIGHT_KEEP_CLUSTER_DIR=1, to read the logs).
import { rmSync } from 'node:fs';
import { takeHandle } from './support/handle';

export default async function globalTeardown(): Promise<void> {
  const handle = takeHandle();
  if (!handle) return;
  await handle.stop();
  if (process.env.MESHWRIGHT_KEEP_CLUSTER_DIR === '1') {
    process.stderr.write(`[integration] cluster logs kept in ${handle.dir}/logs\n`);
  } else {
    rmSync(handle.dir, { recursive: true, force: true });
  }
}
