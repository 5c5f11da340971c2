// The VS Code webview API, typed with the messages of src/shared/messages.ts.
import type { WebviewMessage } from '../src/shared/messages';

interface VsCodeApi {
  postMessage(msg: unknown): void;
  getState(): unknown;
  setState(s: unknown): void;
}
declare function acquireVsCodeApi(): VsCodeApi;

export const vscode: VsCodeApi = acquireVsCodeApi();

export function post(msg: WebviewMessage): void {
  vscode.postMessage(msg);
}
