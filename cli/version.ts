import type { Command } from './commands';
import { ISTIO_VERSION, MESHWRIGHT_VERSION } from '../lib/version';

export const version: Command = {
  name: 'version',
  summary: 'Print the Meshwright and Istio versions',
  async run() {
    process.stdout.write(`meshwright ${MESHWRIGHT_VERSION} (Istio ${ISTIO_VERSION})\n`);
    return 0;
  },
};
