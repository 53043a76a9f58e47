import {
  appendFileSync,
  mkdirSync,
  readFileSync,
  renameSync,
  statSync,
  unlinkSync,
  writeFileSync,
} from 'node:fs';
import { dirname, join } from 'node:path';
import { SquallError } from '../errors.ts';
import type { ThresholdResult } from '../metrics/thresholds.ts';
import { renderJunit } from '../report/junit.ts';
import { RESULT_SCHEMA_CHANGES, RESULT_SCHEMA_VERSION, type RunResult } from '../runner/result.ts';
import type { ResultFile } from '../scenario/plan.ts';

/**
 * The report folder a run writes (`result.json`, `report.html`, `summary.md`, `junit.xml`), written
 * atomically, and the renderers it uses. The renderers live in src/report/ and are loaded lazily by
 * name, so the CLI keeps working (with plain built-in renderings) while a renderer is missing.
 */

type Render = (result: RunResult, options: Record<string, unknown>) => string;
type RenderCompare = (baseline: RunResult, candidate: RunResult, options: Record<string, unknown>) => string;

export interface Renderers {
  renderHtml: Render;
  renderMarkdown: Render;
  renderTerminalTable: Render;
  renderCompareHtml?: RenderCompare;
  renderCompareMarkdown?: RenderCompare;
}

const RENDERER_MODULES = ['index.ts', 'html.ts', 'markdown.ts', 'terminal.ts', 'compare.ts'];

let cached: Renderers | undefined;

export async function loadRenderers(): Promise<Renderers> {
  if (cached) return cached;
  const found: Record<string, unknown> = {};
  for (const m of RENDERER_MODULES) {
    const spec = new URL(`../report/${m}`, import.meta.url).href;
    try {
      const mod = (await import(spec)) as Record<string, unknown>;
      for (const [k, v] of Object.entries(mod)) if (typeof v === 'function' && !(k in found)) found[k] = v;
    } catch (e) {
      // A module that is not there yet is expected; one that fails to load is a bug worth seeing.
      if ((e as NodeJS.ErrnoException).code !== 'ERR_MODULE_NOT_FOUND') throw e;
    }
  }
  cached = {
    renderHtml: (found.renderHtml as Render | undefined) ?? fallbackHtml,
    renderMarkdown: (found.renderMarkdown as Render | undefined) ?? fallbackMarkdown,
    renderTerminalTable: (found.renderTerminalTable as Render | undefined) ?? fallbackTerminal,
    ...(found.renderCompareHtml ? { renderCompareHtml: found.renderCompareHtml as RenderCompare } : {}),
    ...(found.renderCompareMarkdown
      ? { renderCompareMarkdown: found.renderCompareMarkdown as RenderCompare }
      : {}),
  };
  return cached;
}

/** The renderers' options: verdicts, and the success-rate interval per strategy when several seeds ran. */
export function renderOptions(file: ResultFile): {
  thresholds: ThresholdResult[];
  seedsCI?: Record<string, { low: number; high: number }>;
} {
  const thresholds = file.thresholds ?? [];
  if (!file.seedsCI) return { thresholds };
  const seedsCI: Record<string, { low: number; high: number }> = {};
  for (const [name, row] of Object.entries(file.seedsCI.strategies)) {
    const i = row.success_rate?.interval;
    if (i) seedsCI[name] = { low: i.low, high: i.high };
  }
  return { thresholds, seedsCI };
}

/**
 * Writes via a temporary file and a rename, so a reader (or a Ctrl-C) never sees half a file. A failure
 * (full disk, read-only or missing folder) removes the temporary file and throws ERR_SQUALL_IO naming
 * the path and the cause.
 */
export function writeAtomic(path: string, content: string): void {
  const tmp = `${path}.${process.pid}.tmp`;
  try {
    mkdirSync(dirname(path), { recursive: true });
    writeFileSync(tmp, content);
    renameSync(tmp, path);
  } catch (e) {
    try {
      unlinkSync(tmp);
    } catch {
      // It was never created (or the folder is not there): nothing to clean up.
    }
    throw ioError(path, e);
  }
}

/** ERR_SQUALL_IO for a file that could not be written: the path, the system's code and its words. */
export function ioError(path: string, e: unknown): SquallError {
  const err = e as NodeJS.ErrnoException;
  const cause = err.code ? `${err.code}: ${err.message.replace(/^[A-Z]+: /, '')}` : String(e);
  return new SquallError('ERR_SQUALL_IO', `cannot write ${path} (${cause})`, {
    hint:
      err.code === 'ENOSPC' || err.code === 'EDQUOT'
        ? 'the disk is full: free some space, or pass --out on another disk'
        : 'check that --out is a folder you can write to',
    cause: e,
  });
}

/** Renders and writes the four report files into `dir`; returns the Markdown summary. */
export async function writeReportDir(
  dir: string,
  file: ResultFile,
  write: { writeResult?: boolean } = {},
): Promise<{ markdown: string }> {
  const r = await loadRenderers();
  const options = renderOptions(file);
  const markdown = r.renderMarkdown(file, options);
  const html = r.renderHtml(file, options);
  const junit = renderJunit(file, file.thresholds ?? []);
  // result.json last: its presence means the folder is complete.
  writeAtomic(join(dir, 'report.html'), html);
  writeAtomic(join(dir, 'summary.md'), markdown);
  writeAtomic(join(dir, 'junit.xml'), junit);
  if (write.writeResult !== false) writeAtomic(join(dir, 'result.json'), `${JSON.stringify(file)}\n`);
  return { markdown };
}

/** GitHub renders at most 1 MiB of step summary per step; beyond that the upload fails. */
export const STEP_SUMMARY_LIMIT_BYTES = 1024 * 1024;

/**
 * Appends to `$GITHUB_STEP_SUMMARY` when set, never growing it past 1 MiB. Returns what happened; throws
 * ERR_SQUALL_IO when the file cannot be written.
 */
export function appendStepSummary(
  markdown: string,
  env: NodeJS.ProcessEnv = process.env,
): 'written' | 'truncated' | 'skipped' | 'unset' {
  const path = env.GITHUB_STEP_SUMMARY;
  if (!path) return 'unset';
  let size = 0;
  try {
    size = statSync(path).size;
  } catch {
    size = 0;
  }
  const room = STEP_SUMMARY_LIMIT_BYTES - size;
  const bytes = Buffer.byteLength(markdown);
  const note =
    '\n\n_squall: summary truncated to fit GitHub\u2019s 1 MiB step-summary limit; see the uploaded report._\n';
  try {
    if (bytes + 2 <= room) {
      appendFileSync(path, `${markdown}\n\n`);
      return 'written';
    }
    const noteBytes = Buffer.byteLength(note);
    if (room <= noteBytes + 64) return 'skipped';
    appendFileSync(path, truncateUtf8(markdown, room - noteBytes) + note);
    return 'truncated';
  } catch (e) {
    throw ioError(path, e);
  }
}

function truncateUtf8(text: string, maxBytes: number): string {
  const buf = Buffer.from(text);
  if (buf.length <= maxBytes) return text;
  let end = maxBytes;
  // Do not cut a multi-byte character in half.
  while (end > 0 && (buf[end]! & 0xc0) === 0x80) end--;
  const cut = buf.subarray(0, end).toString('utf8');
  const nl = cut.lastIndexOf('\n');
  return nl > 0 ? cut.slice(0, nl) : cut;
}

/** Reads a result.json written by `squall run`; bad input is a user error (exit 64), never a crash. */
export function readResultFile(path: string): ResultFile {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `${path}: cannot read the result (${(e as NodeJS.ErrnoException).code ?? String(e)})`,
      {
        hint: 'pass the result.json of a run, e.g. reports/<scenario>/<timestamp>/result.json',
      },
    );
  }
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new SquallError('ERR_SQUALL_INVALID_CONFIG', `${path}: not valid JSON (${(e as Error).message})`, {
      hint: 'the file may be truncated; re-run the scenario to write it again',
    });
  }
  const r = data as Partial<ResultFile> | null;
  const problems: string[] = [];
  if (!r || typeof r !== 'object' || Array.isArray(r)) problems.push('not a JSON object');
  else {
    if (r.schemaVersion !== RESULT_SCHEMA_VERSION) {
      const older = typeof r.schemaVersion === 'number' ? RESULT_SCHEMA_CHANGES[r.schemaVersion] : undefined;
      problems.push(
        `schemaVersion is ${JSON.stringify(r.schemaVersion)}, this squall reads ${RESULT_SCHEMA_VERSION}${
          older
            ? ` (version ${r.schemaVersion} measured ${older}; re-run the scenario to get today's figures)`
            : ''
        }`,
      );
    }
    if (!r.scenario || typeof r.scenario.name !== 'string') problems.push('no scenario.name');
    if (!Array.isArray(r.strategies)) problems.push('no strategies list');
    else
      r.strategies.forEach((s, i) => {
        if (!s || typeof s.name !== 'string' || !s.summary || typeof s.summary !== 'object')
          problems.push(`strategies[${i}] has no name or summary`);
      });
  }
  if (problems.length > 0) {
    throw new SquallError(
      'ERR_SQUALL_INVALID_CONFIG',
      `${path}: not a squall result.json: ${problems.join('; ')}`,
      {
        hint: 'pass the result.json that `squall run` wrote',
      },
    );
  }
  return r as ResultFile;
}

// ---------------------------------------------------------------------------------------------------
// Plain renderings used until src/report/ provides its own.

interface Row {
  name: string;
  cells: string[];
}

const HEAD = ['strategy', 'success', 'p50', 'p99', 'amplification', 'retries', 'wasted', 'recovery'];

function rows(result: RunResult): Row[] {
  return result.strategies.map((s) => {
    const m = s.summary;
    const rec =
      m.recovery.length === 0
        ? '–'
        : m.recovery.some((w) => w.recoveryMs === null)
          ? 'never'
          : ms(Math.max(...m.recovery.map((w) => w.recoveryMs ?? 0)));
    return {
      name: s.name,
      cells: [
        m.successRate === null ? '–' : `${(m.successRate * 100).toFixed(2)}%`,
        m.latencyMs.p50 === null ? '–' : ms(m.latencyMs.p50),
        m.latencyMs.p99 === null ? '–' : ms(m.latencyMs.p99),
        m.amplification === null ? '–' : m.amplification.toFixed(2),
        String(m.events.retries),
        String(m.attempts.wastedRetries),
        rec,
      ],
    };
  });
}

function ms(v: number): string {
  return v < 1000 ? `${Math.round(v)}ms` : `${(v / 1000).toFixed(2)}s`;
}

function thresholdLines(options: Record<string, unknown>): string[] {
  const t = (options.thresholds as ThresholdResult[] | undefined) ?? [];
  return t.map((x) => `${x.pass ? '✓' : '✗'} ${x.strategy}: ${x.expression} — ${x.message}`);
}

function fallbackMarkdown(result: RunResult, options: Record<string, unknown>): string {
  const lines = [
    `## squall: ${result.scenario.name}${result.partial ? ' (PARTIAL: interrupted)' : ''}`,
    '',
    `seed ${result.seed} · ${result.trafficDescription} · reproduce: \`${result.reproduce}\``,
    '',
    `| ${HEAD.join(' | ')} |`,
    `|${HEAD.map(() => '---').join('|')}|`,
    ...rows(result).map((r) => `| ${r.name} | ${r.cells.join(' | ')} |`),
  ];
  const t = thresholdLines(options);
  if (t.length) lines.push('', '### Thresholds', '', ...t.map((l) => `- ${l}`));
  return `${lines.join('\n')}\n`;
}

function fallbackHtml(result: RunResult, options: Record<string, unknown>): string {
  const e = (s: string) => s.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
  return `<!doctype html><html><head><meta charset="utf-8"><title>squall: ${e(result.scenario.name)}</title></head><body><pre>${e(fallbackMarkdown(result, options))}</pre></body></html>\n`;
}

function fallbackTerminal(result: RunResult, options: Record<string, unknown>): string {
  const all = [{ name: HEAD[0]!, cells: HEAD.slice(1) }, ...rows(result)];
  const widths = HEAD.map((_, i) => Math.max(...all.map((r) => (i === 0 ? r.name : r.cells[i - 1]!).length)));
  const line = (r: Row) =>
    [r.name.padEnd(widths[0]!), ...r.cells.map((c, i) => c.padStart(widths[i + 1]!))].join('  ');
  return `${[...all.map(line), ...thresholdLines(options)].join('\n')}\n`;
}
