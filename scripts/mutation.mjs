#!/usr/bin/env node
/**
 * `npm run mutation`: mutation testing of lambda/verifier and lambda/runtime with Stryker.
 *
 * 1. Starts one moto server (local/moto.ts), outside Stryker, and exports HW_MOTO_ENDPOINT so the
 *    unit tests that need AWS (claims, secrets, the unsigned-input property) reach it from every
 *    Stryker test runner; jest.mutation.config.js has no global set-up.
 * 2. Runs Stryker (stryker.config.mjs: per-test coverage, incremental). Extra arguments go to
 *    `stryker run`, e.g. `npm run mutation -- --mutate 'lambda/verifier/schemes/**' --force`.
 * 3. Stops moto and writes MUTATION.md from reports/mutation/mutation.json: the score per folder
 *    and every surviving mutant. Explanations written by hand in MUTATION.md's survivor tables (the
 *    last cell, after the hidden `<!-- m:… -->` key) and everything below its "hand-written" marker
 *    are kept when the file is written again.
 *
 * `node scripts/mutation.mjs --report-only` rewrites MUTATION.md from the last JSON report.
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import * as path from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = path.join(path.dirname(fileURLToPath(import.meta.url)), '..');
const REPORT = path.join(ROOT, 'reports', 'mutation', 'mutation.json');
const MARKDOWN = path.join(ROOT, 'MUTATION.md');
const HAND_WRITTEN = '<!-- hand-written below: scripts/mutation.mjs keeps everything after this line -->';
const require = createRequire(import.meta.url);

/** Folders the issue sets targets for, in report order; the first whose test matches a file wins. */
const GROUPS = [
  { name: 'lambda/verifier/schemes', test: (f) => f.startsWith('lambda/verifier/schemes/'), target: 90 },
  { name: 'lambda/verifier/crypto.ts', test: (f) => f === 'lambda/verifier/crypto.ts', target: 90 },
  { name: 'lambda/verifier/handler.ts', test: (f) => f === 'lambda/verifier/handler.ts', explain: true },
  { name: 'lambda/verifier/claims.ts', test: (f) => f === 'lambda/verifier/claims.ts', explain: true },
  { name: 'other lambda/verifier files', test: (f) => f.startsWith('lambda/verifier/') },
  { name: 'lambda/runtime', test: (f) => f.startsWith('lambda/runtime/'), explain: true },
];

const DETECTED = new Set(['Killed', 'Timeout']);
const UNDETECTED = new Set(['Survived', 'NoCoverage']);

async function main() {
  const args = process.argv.slice(2);
  if (args.includes('--report-only')) {
    writeMarkdown({ args: [], wallMs: undefined, reused: undefined, exitCode: 0, reportOnly: true });
    return;
  }
  process.env.AWS_ACCESS_KEY_ID = 'testing';
  process.env.AWS_SECRET_ACCESS_KEY = 'testing';
  process.env.AWS_REGION = 'us-east-1';

  // local/moto.ts is TypeScript: load it through ts-node (a dev dependency), no type-check.
  require('ts-node').register({ transpileOnly: true, project: path.join(ROOT, 'tsconfig.json') });
  const { startMoto } = require(path.join(ROOT, 'local', 'moto.ts'));
  const moto = await startMoto({ root: ROOT });
  console.log(`mutation: moto server on ${moto.endpoint} (pid ${moto.process.pid})`);

  const started = Date.now();
  let child;
  const stopAll = async (signal) => {
    // Stryker runs in its own process group: end it with its test runner workers.
    if (child && child.exitCode === null) {
      try {
        process.kill(-child.pid, signal);
      } catch {
        child.kill(signal);
      }
    }
    await moto.stop();
    process.exit(130);
  };
  process.once('SIGINT', () => void stopAll('SIGINT'));
  process.once('SIGTERM', () => void stopAll('SIGTERM'));

  let reused;
  const exitCode = await new Promise((resolve) => {
    const stryker = path.join(ROOT, 'node_modules', '@stryker-mutator', 'core', 'bin', 'stryker.js');
    if (!existsSync(stryker)) {
      console.error(`mutation: ${stryker} is missing; run npm install`);
      return resolve(1);
    }
    child = spawn(process.execPath, [stryker, 'run', 'stryker.config.mjs', ...args], {
      cwd: ROOT,
      env: { ...process.env, HW_MOTO_ENDPOINT: moto.endpoint },
      stdio: ['ignore', 'pipe', 'inherit'],
      detached: true,
    });
    let pending = '';
    child.stdout.on('data', (chunk) => {
      process.stdout.write(chunk);
      pending += chunk.toString();
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) {
        const match = /(\d+) of (\d+) mutant result\(s\) are reused/.exec(line);
        if (match) reused = { mutants: Number(match[1]), of: Number(match[2]) };
      }
    });
    child.on('error', (error) => {
      console.error(`mutation: could not start Stryker: ${error.message}`);
      resolve(1);
    });
    child.on('exit', (code, signal) => resolve(code ?? (signal ? 1 : 0)));
  }).catch(async (error) => {
    await moto.stop();
    throw error;
  });
  const wallMs = Date.now() - started;
  await moto.stop();
  console.log(`mutation: Stryker exited with ${exitCode} after ${(wallMs / 60000).toFixed(1)} min`);
  if (exitCode === 0 && existsSync(REPORT)) writeMarkdown({ args, wallMs, reused, exitCode });
  process.exitCode = exitCode;
}

// ---------------------------------------------------------------------------------------------
// MUTATION.md

function score(mutants) {
  const count = (set) => mutants.filter((m) => set.has(m.status)).length;
  const detected = count(DETECTED);
  const undetected = count(UNDETECTED);
  const by = (status) => mutants.filter((m) => m.status === status).length;
  const valid = detected + undetected;
  return {
    total: mutants.length,
    killed: by('Killed'),
    timeout: by('Timeout'),
    survived: by('Survived'),
    noCoverage: by('NoCoverage'),
    excluded: mutants.length - valid,
    score: valid === 0 ? NaN : (100 * detected) / valid,
    covered: detected + by('Survived') === 0 ? NaN : (100 * detected) / (detected + by('Survived')),
  };
}

const pct = (n) => (Number.isNaN(n) ? 'n/a' : `${n.toFixed(1)} %`);

/** Inline code for a table cell: one line, pipes escaped, backticks fenced. */
function code(text, max = 110) {
  let line = text.replace(/\s+/g, ' ').trim();
  if (line.length > max) line = `${line.slice(0, max - 1)}…`;
  line = line.replace(/\|/g, '\\|');
  if (line === '') return '*(empty)*';
  const fence = line.includes('`') ? '``' : '`';
  return `${fence}${line.includes('`') ? ' ' : ''}${line}${line.includes('`') ? ' ' : ''}${fence}`;
}

function original(source, location) {
  const lines = source.split('\n');
  const { start, end } = location;
  if (start.line === end.line) return lines[start.line - 1].slice(start.column - 1, end.column - 1);
  const parts = [lines[start.line - 1].slice(start.column - 1)];
  for (let l = start.line + 1; l < end.line; l++) parts.push(lines[l - 1]);
  parts.push(lines[end.line - 1].slice(0, end.column - 1));
  return parts.join('\n');
}

/** A key for a survivor that does not depend on line numbers, so explanations survive edits elsewhere. */
function mutantKey(file, m, before) {
  return createHash('sha256').update(`${file}\0${m.mutatorName}\0${before.replace(/\s+/g, ' ')}\0${m.replacement ?? ''}`).digest('hex').slice(0, 12);
}

/** Explanations and hand-written notes from the MUTATION.md that is about to be replaced. */
function previousMarkdown() {
  const explanations = new Map();
  let notes;
  if (!existsSync(MARKDOWN)) return { explanations, notes };
  const text = readFileSync(MARKDOWN, 'utf8');
  const at = text.indexOf(HAND_WRITTEN);
  if (at >= 0) notes = text.slice(at + HAND_WRITTEN.length).replace(/^\n+/, '');
  for (const line of (at >= 0 ? text.slice(0, at) : text).split('\n')) {
    const match = /<!-- m:([0-9a-f]{12}) -->(.*)\|\s*$/.exec(line);
    if (match && match[2].trim() !== '') explanations.set(match[1], match[2].trim());
  }
  return { explanations, notes };
}

function writeMarkdown({ args, wallMs, reused, reportOnly }) {
  const report = JSON.parse(readFileSync(REPORT, 'utf8'));
  const { explanations, notes } = previousMarkdown();
  const files = Object.entries(report.files)
    .map(([file, data]) => [path.relative(ROOT, path.resolve(ROOT, file)).split(path.sep).join('/'), data])
    .sort(([a], [b]) => a.localeCompare(b));
  const all = [];
  for (const [file, data] of files) {
    for (const m of data.mutants) {
      const before = original(data.source, m.location);
      all.push({ ...m, file, before, key: mutantKey(file, m, before) });
    }
  }
  const partial = args.some((a) => a === '--mutate' || a.startsWith('--mutate=') || a === '-m');

  const out = [];
  out.push('# Mutation testing');
  out.push('');
  out.push('Generated by `npm run mutation` (scripts/mutation.mjs, Stryker with stryker.config.mjs); do not edit the tables by hand');
  out.push('except the explanation cells of the survivor tables, which are kept when the file is written again.');
  out.push('');
  if (partial) {
    out.push(`> **Partial run**: only the mutants selected by \`${args.join(' ')}\` are counted below; other folders are missing or incomplete.`);
    out.push('');
  }
  const stamp = new Date().toISOString().replace(/\.\d+Z$/, 'Z');
  const parts = [`Written ${stamp}`];
  if (wallMs !== undefined) parts.push(`this run took ${(wallMs / 60000).toFixed(1)} min of wall time`);
  if (reused) parts.push(`${reused.mutants} of ${reused.of} mutant results reused from reports/stryker-incremental.json`);
  if (reportOnly) parts.push('rewritten from the last JSON report');
  out.push(`${parts.join('; ')}.`);
  out.push('');
  out.push('## Scores');
  out.push('');
  out.push('Score = (killed + timed out) / (killed + timed out + survived + no coverage). "Covered" leaves out mutants no test runs.');
  out.push('');
  out.push('| folder | mutants | killed | timeout | survived | no coverage | ignored¹ | score | covered score | target |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | --- |');
  const grouped = GROUPS.map((g) => ({ ...g, mutants: all.filter((m) => GROUPS.find((h) => h.test(m.file)) === g) }));
  for (const g of grouped) {
    const s = score(g.mutants);
    const target = s.total === 0 ? 'not in this run' : g.target ? `≥ ${g.target} %: ${s.score >= g.target ? 'met' : 'NOT met'}` : g.explain ? 'every survivor explained' : '';
    out.push(`| ${g.name} | ${s.total} | ${s.killed} | ${s.timeout} | ${s.survived} | ${s.noCoverage} | ${s.excluded} | ${pct(s.score)} | ${pct(s.covered)} | ${target} |`);
  }
  const t = score(all);
  out.push(`| **all** | ${t.total} | ${t.killed} | ${t.timeout} | ${t.survived} | ${t.noCoverage} | ${t.excluded} | **${pct(t.score)}** | ${pct(t.covered)} | |`);
  out.push('');
  out.push('¹ Not counted in the score: static mutants (module-level code run only at import; `ignoreStatic` in stryker.config.mjs), compile and runtime errors.');
  out.push('');
  out.push('<details><summary>Score per file</summary>');
  out.push('');
  out.push('| file | mutants | killed | timeout | survived | no coverage | score |');
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const [file] of files) {
    const s = score(all.filter((m) => m.file === file));
    out.push(`| ${file} | ${s.total} | ${s.killed} | ${s.timeout} | ${s.survived} | ${s.noCoverage} | ${pct(s.score)} |`);
  }
  out.push('');
  out.push('</details>');
  out.push('');
  out.push('## Surviving mutants');
  out.push('');
  out.push('Survived: tests ran the mutated code and all passed. No coverage: no test in the mutation run reaches it.');
  out.push('In handler.ts, claims.ts and lambda/runtime each one has a one-line explanation: equivalent, untestable, or "needs a test: …".');
  out.push('');
  for (const g of grouped) {
    const survivors = g.mutants.filter((m) => UNDETECTED.has(m.status))
      .sort((a, b) => a.file.localeCompare(b.file) || a.location.start.line - b.location.start.line || a.location.start.column - b.location.start.column);
    out.push(`### ${g.name} (${survivors.length})`);
    out.push('');
    if (survivors.length === 0) {
      out.push('None.');
      out.push('');
      continue;
    }
    out.push(g.explain ? '| where | mutator | status | original | mutated | explanation |' : '| where | mutator | status | original | mutated |');
    out.push(g.explain ? '| --- | --- | --- | --- | --- | --- |' : '| --- | --- | --- | --- | --- |');
    for (const m of survivors) {
      const where = `${m.file}:${m.location.start.line}`;
      const row = `| ${where} | ${m.mutatorName} | ${m.status === 'NoCoverage' ? 'no coverage' : 'survived'} | ${code(m.before)} | ${code(m.replacement ?? '')} |`;
      out.push(g.explain ? `${row} <!-- m:${m.key} --> ${explanations.get(m.key) ?? 'TODO'} |` : row);
    }
    out.push('');
  }
  out.push(HAND_WRITTEN);
  out.push('');
  if (notes) out.push(notes.trimEnd(), '');
  writeFileSync(MARKDOWN, out.join('\n'));
  console.log(`mutation: wrote ${path.relative(process.cwd(), MARKDOWN)} (score ${pct(t.score)} over ${t.total} mutants)`);
}

main().catch((error) => {
  console.error(error);
  process.exitCode = 1;
});
