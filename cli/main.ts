// The single `meshwright` entry point: dispatches to the subcommand modules of each part.
import { UsageError } from '../lib/flags';
import { errorMessage } from '../lib/errors';
import type { Command } from './commands';

const help = (
  commands: Command[],
) => `meshwright: IstioOperator installer and Istio-conformant sidecar injector

Usage: meshwright <command> [flags]

Commands:
${commands.map((c) => `  ${c.name.padEnd(20)} ${c.summary}`).join('\n')}

Run 'meshwright <command> --help' for a command's flags.
`;

export async function main(argv: string[]): Promise<void> {
  const code = await run(argv);
  if (code !== 0) process.exitCode = code;
}

/**
 * The command to run. `operator` is loaded alone: the whole table loads every command's modules, among
 * them the webhook's and kube-inject's @kubernetes/client-node (+80 MiB RSS), which the operator
 * process must not carry (issue #14, docs/architecture.md).
 */
async function commandTable(argv: string[]): Promise<Command[]> {
  if (argv[0] === 'operator') return [(await import('./operator')).operator];
  return (await import('./commands')).commands;
}

export async function run(argv: string[]): Promise<number> {
  const commands = await commandTable(argv);
  const HELP = help(commands);
  if (argv.length === 0 || argv[0] === '--help' || argv[0] === '-h' || argv[0] === 'help') {
    process.stdout.write(HELP);
    return argv.length === 0 ? 2 : 0;
  }
  // Two-word commands such as `manifest generate` match before one-word ones.
  const cmd = commands.find((c) => {
    const words = c.name.split(' ');
    return words.every((w, i) => argv[i] === w);
  });
  if (!cmd) {
    process.stderr.write(`meshwright: unknown command ${JSON.stringify(argv.join(' '))}\n\n${HELP}`);
    return 2;
  }
  const rest = argv.slice(cmd.name.split(' ').length);
  try {
    return await cmd.run(rest);
  } catch (err) {
    if (err instanceof UsageError) {
      process.stderr.write(`meshwright ${cmd.name}: ${err.message}\n`);
      return 2;
    }
    process.stderr.write(`meshwright ${cmd.name}: ${errorMessage(err)}\n`);
    return 1;
  }
}
