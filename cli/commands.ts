// The subcommand table. Each part of the system owns its command module; this file only lists them.
import { kubeInjectCommand } from './kube-inject';
import { manifestGenerate } from './manifest';
import { version } from './version';
import { webhook } from './webhook';

export interface Command {
  name: string;
  summary: string;
  run(argv: string[]): Promise<number>;
}

function pending(name: string, summary: string): Command {
  return {
    name,
    summary,
    async run() {
      process.stderr.write(`meshwright ${name}: not available in this build yet\n`);
      return 3;
    },
  };
}

export const commands: Command[] = [
  pending('operator', 'Run the IstioOperator controller'),
  webhook,
  kubeInjectCommand,
  manifestGenerate,
  version,
];
