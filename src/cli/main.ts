// `losswatch` command-line entry: dispatches to one module per subcommand.
import { run as runCe } from './ce';
import { run as runSeries } from './series';
import { run as runCheck } from './check';
import { run as runLint } from './lint';

const USAGE = `usage: losswatch <command> [options]

commands:
  check <paths or globs…> [--format text|json|github]   run the loss checks (exit 1 on any error)
  lint <paths or globs…> [--format text|json|github]    lint Python training scripts for loss pitfalls
  series <paths…> [--format json|text]                  list the runs and series found in logs
  ce --logits <f.npy> --labels <f.npy> [options]        recompute softmax cross-entropy and its gradient norm

Run 'losswatch <command> --help' for the options of a command.`;

async function main(argv: string[]): Promise<number> {
  const [cmd, ...rest] = argv;
  switch (cmd) {
    case 'ce':
      return runCe(rest);
    case 'series':
      return runSeries(rest);
    case 'check':
      return runCheck(rest);
    case 'lint':
      return runLint(rest);
    case '--help':
    case '-h':
    case 'help':
      process.stdout.write(USAGE + '\n');
      return 0;
    case '--version':
      process.stdout.write(`${process.env.LOSSWATCH_VERSION ?? '0.1.0'}\n`);
      return 0;
    default:
      process.stderr.write(`losswatch: ${cmd ? `unknown command '${cmd}'` : 'missing command'}\n${USAGE}\n`);
      return 2;
  }
}

main(process.argv.slice(2)).then(
  (code) => {
    process.exitCode = code;
  },
  (err: unknown) => {
    process.stderr.write(`losswatch: ${err instanceof Error ? err.message : String(err)}\n`);
    process.exitCode = 2;
  },
);
