// A minimal stand-in for the `vscode` module (enough for src/extension/diagnostics.ts in unit tests).
import Module from 'node:module';

export class Uri {
  private constructor(
    readonly scheme: string,
    readonly fsPath: string,
  ) {}
  static file(p: string): Uri {
    return new Uri('file', p);
  }
  static parse(s: string): Uri {
    return new Uri(s.split(':')[0]!, s);
  }
  toString(): string {
    return `${this.scheme}://${this.fsPath}`;
  }
}
export class Position {
  constructor(
    readonly line: number,
    readonly character: number,
  ) {}
}
export class Range {
  readonly start: Position;
  readonly end: Position;
  constructor(l1: number, c1: number, l2: number, c2: number) {
    if (l1 < 0 || c1 < 0 || l2 < 0 || c2 < 0) throw new Error('Illegal argument: negative position');
    this.start = new Position(l1, c1);
    this.end = new Position(l2, c2);
  }
}
export enum DiagnosticSeverity {
  Error = 0,
  Warning = 1,
  Information = 2,
  Hint = 3,
}
export class Location {
  constructor(
    readonly uri: Uri,
    readonly range: Range,
  ) {}
}
export class DiagnosticRelatedInformation {
  constructor(
    readonly location: Location,
    readonly message: string,
  ) {}
}
export class Diagnostic {
  source?: string;
  code?: { value: string; target: Uri };
  relatedInformation?: DiagnosticRelatedInformation[];
  constructor(
    readonly range: Range,
    readonly message: string,
    readonly severity: DiagnosticSeverity,
  ) {}
}

/** A DiagnosticCollection fake recording the current state per file. */
export class FakeCollection {
  readonly entries = new Map<string, Diagnostic[]>();
  sets = 0;
  set(uri: Uri, diags: Diagnostic[]): void {
    this.sets++;
    this.entries.set(uri.fsPath, [...diags]);
  }
  delete(uri: Uri): void {
    this.entries.delete(uri.fsPath);
  }
}

const stub = { Uri, Position, Range, DiagnosticSeverity, Location, DiagnosticRelatedInformation, Diagnostic };

/** Makes `require('vscode')` return the stub. */
export function installVscodeStub(): void {
  const M = Module as unknown as { _load: (request: string, ...rest: unknown[]) => unknown };
  const orig = M._load;
  if ((orig as { stubbed?: boolean }).stubbed) return;
  const patched = function (this: unknown, request: string, ...rest: unknown[]): unknown {
    if (request === 'vscode') return stub;
    return orig.call(this, request, ...rest);
  };
  (patched as { stubbed?: boolean }).stubbed = true;
  M._load = patched;
}
