// The option parsing shared by `losswatch check` and `losswatch lint`: --format, --severity CODE=LEVEL,
// --list, -h/--help, `--` and inputs; `--flag=value` and `--flag value` alike. Command-specific flags
// go through `extra`.
import type { Severity } from '../core/model';

/** Bad usage: the command prints the message and its usage, and exits with 2. */
export class UsageError extends Error {}

export type Format = 'text' | 'json' | 'github';

const LEVELS = new Set(['error', 'warning', 'information', 'hint', 'off']);

export interface CommonArgs {
  format: Format;
  inputs: string[];
  severities: Record<string, Severity | 'off'>;
  list: boolean;
  help: boolean;
}

export interface ArgSpec {
  /** Whether `code` may be given to --severity. */
  isCode(code: string): boolean;
  /** How the error for an unknown --severity code names it ("code", "lint code"). */
  codeWord: string;
  /** A command-specific flag: returns false when `flag` is not one; `value()` takes its value. */
  extra?(flag: string, value: () => string): boolean;
}

export function parseCommonArgs(argv: readonly string[], spec: ArgSpec): CommonArgs {
  const a: CommonArgs = { format: 'text', inputs: [], severities: {}, list: false, help: false };
  for (let i = 0; i < argv.length; i++) {
    let arg = argv[i]!;
    let inline: string | undefined;
    const eq = arg.indexOf('=');
    if (arg.startsWith('--') && eq > 0) {
      inline = arg.slice(eq + 1);
      arg = arg.slice(0, eq);
    }
    const flag = arg;
    const value = (): string => {
      const v = inline ?? argv[++i];
      if (v === undefined) throw new UsageError(`${flag} needs a value`);
      return v;
    };
    switch (arg) {
      case '--format': {
        const f = value();
        if (f !== 'text' && f !== 'json' && f !== 'github') throw new UsageError(`--format must be text, json or github, got '${f}'`);
        a.format = f;
        break;
      }
      case '--severity': {
        const [code, level] = value().split('=');
        if (!code || !spec.isCode(code)) throw new UsageError(`--severity: unknown ${spec.codeWord} '${code ?? ''}' (see --list)`);
        if (!level || !LEVELS.has(level))
          throw new UsageError(`--severity ${code}: level must be error, warning, information, hint or off`);
        a.severities[code] = level as Severity | 'off';
        break;
      }
      case '--list':
        a.list = true;
        break;
      case '-h':
      case '--help':
        a.help = true;
        break;
      case '--':
        a.inputs.push(...argv.slice(i + 1));
        i = argv.length;
        break;
      default:
        if (spec.extra?.(arg, value)) break;
        if (arg.startsWith('-') && arg !== '-') throw new UsageError(`unknown option '${arg}'`);
        a.inputs.push(argv[i]!);
    }
  }
  return a;
}
