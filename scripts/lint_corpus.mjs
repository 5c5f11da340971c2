// Real-script corpus for the training-script lint.
//
//   node scripts/lint_corpus.mjs extract [--mirror DIR]   copy the listed scripts out of local git snapshots
//   node scripts/lint_corpus.mjs check [--write]          lint them (dist/cli.js) and compare with the judgements
//
// test/fixtures/scripts/real/corpus.tsv lists every script as repo, 40-hex commit and path. The scripts
// themselves are public code under their own licences and are NOT committed: `extract` reads them from
// git snapshots of the repositories (DIR/<owner>+<name>/repo, bare or with .git) into
// test-output/lint-corpus/<owner>+<name>/<path> (git-ignored). `check` prints precision over the
// findings judged by hand in test/fixtures/scripts/judged.json and lists any unjudged finding;
// `--write` also stores the findings with their verdicts in test/fixtures/scripts/real/report.json.
import { execFileSync, spawnSync } from 'node:child_process';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const repo = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..');
const LIST = path.join(repo, 'test/fixtures/scripts/real/corpus.tsv');
const JUDGED = path.join(repo, 'test/fixtures/scripts/judged.json');
const REPORT = path.join(repo, 'test/fixtures/scripts/real/report.json');
export const CORPUS_DIR = path.join(repo, 'test-output/lint-corpus');

export function corpusList() {
  return fs
    .readFileSync(LIST, 'utf8')
    .trim()
    .split('\n')
    .slice(1)
    .map((l) => {
      const [name, commit, file] = l.split('\t');
      return { repo: name, commit, path: file, local: `${name.replace('/', '+')}/${file}` };
    });
}

function extract(mirror) {
  let n = 0;
  let missing = 0;
  for (const e of corpusList()) {
    const base = path.join(mirror, e.repo.replace('/', '+'), 'repo');
    const gitDir = fs.existsSync(path.join(base, '.git')) ? path.join(base, '.git') : base;
    let text;
    try {
      text = execFileSync('git', ['--git-dir', gitDir, 'show', `${e.commit}:${e.path}`], {
        encoding: 'utf8',
        maxBuffer: 1 << 22,
        stdio: ['ignore', 'pipe', 'ignore'],
      });
    } catch {
      missing++;
      continue;
    }
    const out = path.join(CORPUS_DIR, e.local);
    fs.mkdirSync(path.dirname(out), { recursive: true });
    fs.writeFileSync(out, text);
    n++;
  }
  console.log(`extracted ${n} scripts to ${path.relative(repo, CORPUS_DIR)}${missing ? `, ${missing} not available here` : ''}`);
}

function check(write) {
  const cli = path.join(repo, 'dist/cli.js');
  const t0 = performance.now();
  const r = spawnSync(process.execPath, [cli, 'lint', '.', '--format', 'json'], { cwd: CORPUS_DIR, encoding: 'utf8', maxBuffer: 1 << 26 });
  const ms = performance.now() - t0;
  if (r.status === 2) throw new Error(r.stderr);
  const findings = JSON.parse(r.stdout);
  const judged = JSON.parse(fs.readFileSync(JUDGED, 'utf8'));
  const byLocal = new Map(corpusList().map((e) => [e.local, e]));
  const key = (local, line, code) => `${local}:${line}:${code}`;
  const verdicts = new Map(judged.map((j) => [key(`${j.repo.replace('/', '+')}/${j.path}`, j.line, j.code), j]));
  let tp = 0;
  let fp = 0;
  const unjudged = [];
  const rows = [];
  for (const f of findings) {
    const e = byLocal.get(f.file);
    const j = verdicts.get(key(f.file, f.line, f.code));
    if (!j) unjudged.push(`${f.file}:${f.line} ${f.code}`);
    else if (j.verdict === 'tp') tp++;
    else fp++;
    rows.push({
      repo: e?.repo,
      commit: e?.commit,
      path: e?.path,
      line: f.line,
      column: f.column,
      code: f.code,
      verdict: j?.verdict ?? 'unjudged',
    });
  }
  const files = fs.readdirSync(CORPUS_DIR, { recursive: true }).filter((f) => String(f).endsWith('.py')).length;
  console.log(
    `${files} scripts, ${findings.length} findings: ${tp} tp, ${fp} fp, ${unjudged.length} unjudged; precision ${tp + fp ? ((100 * tp) / (tp + fp)).toFixed(1) : 'n/a'} %`,
  );
  console.log(`CLI: ${(ms / 1000).toFixed(2)} s, ${((files * 1000) / ms).toFixed(0)} files/s (including start-up)`);
  for (const u of unjudged) console.log(`  unjudged: ${u}`);
  if (write) fs.writeFileSync(REPORT, JSON.stringify({ scripts: files, findings: rows }, null, 2) + '\n');
  return unjudged.length || fp ? 1 : 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const [cmd, ...rest] = process.argv.slice(2);
  const mirrorAt = rest.indexOf('--mirror');
  if (cmd === 'extract') extract(mirrorAt >= 0 ? rest[mirrorAt + 1] : (process.env.LOSSWATCH_MIRROR ?? '/work/.mirror'));
  else if (cmd === 'check') process.exitCode = check(rest.includes('--write'));
  else {
    console.error('usage: node scripts/lint_corpus.mjs extract [--mirror DIR] | check [--write]');
    process.exitCode = 2;
  }
}
