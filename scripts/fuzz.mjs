// `npm run fuzz` (not part of npm test): ≥ 1 M seeded inputs per parser (jsonl, csv, text, hf, tfevents,
// mlflow, npy header) — valid ones compared with a reference (JSON.parse, a comma split, …), mutated ones
// and garbage checked for no throw, a per-input time bound and bounded memory. Prints the counts.
//   node --import tsx scripts/fuzz.mjs [--n 1000000] [--seed 1] [--limit-ms 250] [parser …]
// Needs the tsx loader (the npm script passes it). Exit 1 on any failure.
import { fuzzParser, PARSERS } from '../test/security/fuzzlib.ts';

const args = process.argv.slice(2);
let n = 1_000_000;
let seed = 1;
let limitMs = 250;
const only = [];
for (let i = 0; i < args.length; i++) {
  const a = args[i];
  if (a === '--n') n = Number(args[++i]);
  else if (a === '--seed') seed = Number(args[++i]);
  else if (a === '--limit-ms') limitMs = Number(args[++i]);
  else only.push(a);
}
const MEM_LIMIT_MB = 1024;
const chosen = only.length ? PARSERS.filter((p) => only.includes(p)) : PARSERS;
console.log(`fuzz: ${n} inputs per parser, seed ${seed}, per-input limit ${limitMs} ms, memory limit ${MEM_LIMIT_MB} MB`);
console.log('parser    inputs    valid(checked)  mutated  garbage  failures  >10ms  >limit  max ms  max MB  seconds');
let bad = 0;
for (const p of chosen) {
  const s = fuzzParser(p, n, seed, limitMs);
  const memBad = s.maxMemMB > MEM_LIMIT_MB;
  bad += s.failures.length + (memBad ? 1 : 0);
  console.log(
    `${p.padEnd(9)} ${String(s.inputs).padStart(7)}  ${String(s.valid).padStart(7)}(${s.checked})  ${String(s.mutated).padStart(7)}  ${String(s.garbage).padStart(7)}  ${String(s.failures.length).padStart(8)}  ${String(s.slow).padStart(5)}  ${String(s.slowInputs).padStart(6)}  ${s.maxMs.toFixed(1).padStart(6)}  ${s.maxMemMB.toFixed(0).padStart(6)}  ${(s.ms / 1000).toFixed(1).padStart(7)}`,
  );
  for (const f of s.failures.slice(0, 5))
    console.log(
      `    ${f.kind}: ${f.message.split('\n')[0].slice(0, 200)}\n      input (base64, first 400 bytes): ${f.input.slice(0, 200)}`,
    );
  if (memBad) console.log(`    memory: ${s.maxMemMB.toFixed(0)} MB over ${MEM_LIMIT_MB} MB`);
}
console.log(bad ? `fuzz: ${bad} failure(s)` : 'fuzz: no failures');
process.exitCode = bad ? 1 : 0;
