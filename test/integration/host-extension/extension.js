// Test-only helper extension, installed next to LossWatch by the integration harness.
// It opens a loopback HTTP server and answers JSON requests with the real `vscode` API, so tests
// running in Node (outside the extension host) can drive VS Code and inspect its state.
//
// Protocol: POST / with body {"op": "...", "args": {...}} and header x-losswatch-token: <token>;
// answer {"ok": true, "result": ...} or {"ok": false, "error": "..."}.
// On start it writes {"port", "pid"} to the file named by LOSSWATCH_TEST_HOST_INFO.
'use strict';
const vscode = require('vscode');
const http = require('node:http');
const fs = require('node:fs');
const path = require('node:path');

const SEVERITY = ['error', 'warning', 'information', 'hint'];

function toPlain(value, depth = 0, seen = new Set()) {
  if (value === null || value === undefined) return value ?? null;
  if (typeof value === 'number') return Number.isFinite(value) ? value : String(value);
  if (typeof value !== 'object') return typeof value === 'function' ? '[function]' : value;
  if (value instanceof vscode.Uri) return value.scheme === 'file' ? value.fsPath : value.toString();
  if (seen.has(value) || depth > 8) return '[…]';
  seen.add(value);
  if (Array.isArray(value)) return value.map((v) => toPlain(v, depth + 1, seen));
  if (value instanceof vscode.Range) {
    return {
      startLine: value.start.line + 1,
      startColumn: value.start.character + 1,
      endLine: value.end.line + 1,
      endColumn: value.end.character + 1,
    };
  }
  const out = {};
  for (const [k, v] of Object.entries(value)) out[k] = toPlain(v, depth + 1, seen);
  return out;
}

function codeOf(d) {
  if (d.code === undefined || d.code === null) return null;
  if (typeof d.code === 'object') return String(d.code.value);
  return String(d.code);
}

function diagnostics() {
  const out = [];
  for (const [uri, list] of vscode.languages.getDiagnostics()) {
    for (const d of list) {
      out.push({
        file: uri.scheme === 'file' ? uri.fsPath : uri.toString(),
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        endLine: d.range.end.line + 1,
        endColumn: d.range.end.character + 1,
        code: codeOf(d),
        codeTarget: typeof d.code === 'object' && d.code ? d.code.target.toString() : null,
        severity: SEVERITY[d.severity] ?? String(d.severity),
        message: d.message,
        source: d.source ?? null,
        tags: d.tags ?? [],
        related: (d.relatedInformation ?? []).map((r) => ({
          file: r.location.uri.fsPath,
          line: r.location.range.start.line + 1,
          message: r.message,
        })),
      });
    }
  }
  return out;
}

function activeEditor() {
  const ed = vscode.window.activeTextEditor;
  if (!ed) return null;
  return {
    file: ed.document.uri.scheme === 'file' ? ed.document.uri.fsPath : ed.document.uri.toString(),
    line: ed.selection.active.line + 1,
    column: ed.selection.active.character + 1,
    languageId: ed.document.languageId,
    visibleRange: ed.visibleRanges[0] ? { startLine: ed.visibleRanges[0].start.line + 1, endLine: ed.visibleRanges[0].end.line + 1 } : null,
  };
}

function tabs() {
  const out = [];
  for (const group of vscode.window.tabGroups.all) {
    for (const tab of group.tabs) {
      const input = tab.input;
      let kind = 'other';
      let detail = null;
      if (input instanceof vscode.TabInputText) {
        kind = 'text';
        detail = input.uri.fsPath;
      } else if (input instanceof vscode.TabInputWebview) {
        kind = 'webview';
        detail = input.viewType;
      } else if (input instanceof vscode.TabInputCustom) {
        kind = 'custom';
        detail = input.viewType;
      }
      out.push({ label: tab.label, kind, detail, active: tab.isActive, group: group.viewColumn });
    }
  }
  return out;
}

let testPanel;

const AsyncFunction = Object.getPrototypeOf(async function () {}).constructor;

const ops = {
  ping: () => ({
    vscodeVersion: vscode.version,
    workspaceFolders: (vscode.workspace.workspaceFolders ?? []).map((f) => f.uri.fsPath),
    pid: process.pid,
  }),
  executeCommand: async ({ id, args = [] }) => toPlain(await vscode.commands.executeCommand(id, ...args)),
  getCommands: async ({ filter = '' } = {}) => (await vscode.commands.getCommands(true)).filter((c) => c.includes(filter)),
  getDiagnostics: () => diagnostics(),
  activeEditor: () => activeEditor(),
  tabs: () => tabs(),
  extension: ({ id }) => {
    const ext = vscode.extensions.getExtension(id);
    if (!ext) return { found: false, isActive: false };
    return { found: true, isActive: ext.isActive, version: ext.packageJSON.version, path: ext.extensionPath };
  },
  activateExtension: async ({ id }) => {
    const ext = vscode.extensions.getExtension(id);
    if (!ext) throw new Error(`extension ${id} is not installed`);
    await ext.activate();
    return { isActive: ext.isActive };
  },
  openFile: async ({ file, line }) => {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.file(file));
    const opts = {};
    if (line) opts.selection = new vscode.Range(line - 1, 0, line - 1, 0);
    await vscode.window.showTextDocument(doc, opts);
    return activeEditor();
  },
  getConfig: ({ section, key }) => toPlain(vscode.workspace.getConfiguration(section).get(key)),
  updateConfig: async ({ section, key, value, target = 'workspace' }) => {
    const t = { global: vscode.ConfigurationTarget.Global, workspace: vscode.ConfigurationTarget.Workspace }[target];
    await vscode.workspace.getConfiguration(section).update(key, value, t);
    return true;
  },
  // A webview of the helper itself, so the harness can prove webviewFrame() without LossWatch.
  openTestWebview: ({ html }) => {
    testPanel?.dispose();
    testPanel = vscode.window.createWebviewPanel('losswatchTest.webview', 'Harness test webview', vscode.ViewColumn.One, {
      enableScripts: true,
    });
    testPanel.webview.html = html;
    return true;
  },
  // Escape hatch: run `code` as the body of an async function(vscode, args).
  eval: async ({ code, args }) => toPlain(await new AsyncFunction('vscode', 'args', code)(vscode, args)),
};

function activate(context) {
  const infoFile = process.env.LOSSWATCH_TEST_HOST_INFO;
  const token = process.env.LOSSWATCH_TEST_TOKEN ?? '';
  if (!infoFile) return; // not started by the harness: stay inert
  const server = http.createServer((req, res) => {
    const send = (status, body) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(JSON.stringify(body));
    };
    if (req.method !== 'POST' || req.headers['x-losswatch-token'] !== token) return send(403, { ok: false, error: 'forbidden' });
    let body = '';
    req.setEncoding('utf8');
    req.on('data', (c) => (body += c));
    req.on('end', async () => {
      try {
        const { op, args } = JSON.parse(body || '{}');
        const fn = ops[op];
        if (!fn) return send(400, { ok: false, error: `unknown op '${op}' (known: ${Object.keys(ops).join(', ')})` });
        send(200, { ok: true, result: (await fn(args ?? {})) ?? null });
      } catch (e) {
        send(200, { ok: false, error: e instanceof Error ? `${e.message}\n${e.stack ?? ''}` : String(e) });
      }
    });
  });
  server.listen(0, '127.0.0.1', () => {
    const info = { port: server.address().port, pid: process.pid };
    fs.mkdirSync(path.dirname(infoFile), { recursive: true });
    fs.writeFileSync(`${infoFile}.tmp`, JSON.stringify(info));
    fs.renameSync(`${infoFile}.tmp`, infoFile);
  });
  context.subscriptions.push({ dispose: () => server.close() });
}

function deactivate() {}

module.exports = { activate, deactivate };
