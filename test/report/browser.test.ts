import { existsSync, mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import type { BrowserContext, Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CHROMIUM, launchChromium } from '../../scripts/chromium.ts';
import type { ClaimResult } from '../../src/claims/evaluate.ts';
import { formatClock } from '../../src/report/format.ts';
import { renderCompareHtml, renderHtml, type ThresholdResult } from '../../src/report/index.ts';
import type { RunResult } from '../../src/runner/result.ts';
import { smallRun } from './helpers.ts';

/**
 * The report in a real browser (Debian's Chromium, driven by playwright-core): it must load offline
 * without console errors, draw every chart, show result.json's numbers, and zoom. Also saves the
 * screenshot used in the docs.
 */
const hasChromium = existsSync(CHROMIUM);
if (!hasChromium) {
  console.warn(
    `\n${'!'.repeat(78)}\n!! SKIPPED: report browser tests. ${CHROMIUM} is not installed.\n!! Install it (apt-get install -y chromium) to check the HTML report in a real browser.\n${'!'.repeat(78)}\n`,
  );
}

const ROOT = resolve(import.meta.dirname, '../..');
const ARTIFACTS = join(ROOT, 'test-artifacts');

let result: RunResult;
let context: BrowserContext;
let userDataDir: string;
let outDir: string;

const thresholds = (r: RunResult): ThresholdResult[] => [
  {
    strategy: r.strategies[0]!.name,
    expression: 'p(95) < 800',
    metric: 'latency_p95_ms',
    observed: r.strategies[0]!.summary.latencyMs.p95,
    limit: 800,
    op: '<',
    pass: false,
    message: 'p(95) over 800 ms',
  },
];

interface Loaded {
  page: Page;
  errors: string[];
  offsite: string[];
}

async function open(html: string, name: string, colorScheme: 'light' | 'dark' = 'light'): Promise<Loaded> {
  const file = join(outDir, name);
  writeFileSync(file, html);
  const page = await context.newPage();
  await page.emulateMedia({ colorScheme });
  const errors: string[] = [];
  const offsite: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'error' || m.type() === 'warning') errors.push(`${m.type()}: ${m.text()}`);
  });
  page.on('pageerror', (e) => errors.push(`pageerror: ${e.message}`));
  // Anything but the file itself is a request the offline report must not make.
  await page.route('**/*', (route) => {
    const url = route.request().url();
    if (url.startsWith('file:')) return route.continue();
    offsite.push(url);
    return route.abort();
  });
  await page.goto(pathToFileURL(file).href);
  await page.waitForFunction(() => (window as unknown as { squall?: unknown }).squall !== undefined, null, {
    timeout: 10_000,
  });
  return { page, errors, offsite };
}

/** Per canvas: painted pixels, and pixels in one of its datasets' colours. */
async function canvasInk(page: Page) {
  return page.evaluate(() => {
    type ChartLike = {
      canvas: HTMLCanvasElement;
      chartArea: { left: number; top: number; right: number; bottom: number };
      data: { datasets: Array<{ data: unknown[]; borderColor?: unknown; backgroundColor?: unknown }> };
    };
    const charts = (window as unknown as { squall: { charts: Record<string, ChartLike> } }).squall.charts;
    const scratch = document.createElement('canvas').getContext('2d')!;
    const rgb = (css: string): [number, number, number] | null => {
      scratch.fillStyle = '#000000';
      scratch.fillStyle = css;
      const v = String(scratch.fillStyle);
      const hex = v.match(/^#([0-9a-f]{6})$/i);
      if (hex) {
        const n = Number.parseInt(hex[1]!, 16);
        return [n >> 16, (n >> 8) & 255, n & 255];
      }
      const m = v.match(/rgba?\((\d+), (\d+), (\d+)/);
      return m ? [Number(m[1]), Number(m[2]), Number(m[3])] : null;
    };
    return Object.entries(charts).map(([id, chart]) => {
      const colours = chart.data.datasets
        .flatMap((d) => [d.borderColor, d.backgroundColor].flat())
        .filter((c): c is string => typeof c === 'string')
        .map(rgb)
        .filter((c): c is [number, number, number] => c !== null);
      const hasData = chart.data.datasets.some((d) =>
        d.data.some((p) => p !== null && (typeof p !== 'object' || (p as { y?: unknown }).y !== null)),
      );
      const { width, height } = chart.canvas;
      const ctx = chart.canvas.getContext('2d')!;
      const pixels = ctx.getImageData(0, 0, width, height).data;
      let painted = 0;
      for (let i = 3; i < pixels.length; i += 4) if (pixels[i]! > 0) painted++;
      // Dataset colours inside the plot area only: the legend shows them even when nothing is drawn.
      const scale = width / chart.canvas.clientWidth;
      const a = chart.chartArea;
      const x0 = Math.ceil(a.left * scale);
      const y0 = Math.ceil(a.top * scale);
      const plot = ctx.getImageData(
        x0,
        y0,
        Math.floor(a.right * scale) - x0,
        Math.floor(a.bottom * scale) - y0,
      ).data;
      const near = (c: [number, number, number], r: number, g: number, b: number) =>
        Math.abs(c[0] - r) + Math.abs(c[1] - g) + Math.abs(c[2] - b) < 24;
      // The first dataset's line colour alone: a small multiple's own strategy.
      const first = rgb(String(chart.data.datasets[0]?.borderColor ?? ''));
      let inDatasetColour = 0;
      let inFirstColour = 0;
      for (let i = 0; i < plot.length; i += 4) {
        if (plot[i + 3]! === 0) continue;
        const [r, g, b] = [plot[i]!, plot[i + 1]!, plot[i + 2]!];
        if (colours.some((c) => near(c, r, g, b))) inDatasetColour++;
        if (first && near(first, r, g, b)) inFirstColour++;
      }
      const labels = chart.data.datasets.map((d) => String((d as { label?: unknown }).label));
      return { id, width, height, painted, inDatasetColour, inFirstColour, labels, hasData };
    });
  });
}

describe.skipIf(!hasChromium)('HTML report in headless Chromium', () => {
  beforeAll(async () => {
    result = await smallRun();
    mkdirSync(ARTIFACTS, { recursive: true });
    mkdirSync(join(ROOT, 'docs'), { recursive: true });
    outDir = mkdtempSync(join(tmpdir(), 'squall-report-'));
    userDataDir = mkdtempSync(join(tmpdir(), 'squall-chromium-'));
    context = await launchChromium(userDataDir);
  }, 60_000);

  afterAll(async () => {
    await context?.close();
    if (userDataDir) rmSync(userDataDir, { recursive: true, force: true });
    if (outDir) rmSync(outDir, { recursive: true, force: true });
  });

  it('loads offline without console errors and draws every chart', async () => {
    // A fixed start time, so the committed docs screenshot only changes when the report does.
    const pinned: RunResult = { ...result, wall: { startedAt: '2026-01-01T00:00:00.000Z', wallMs: 0 } };
    const html = renderHtml(pinned, {
      thresholds: thresholds(result),
      seedsCI: { 'limited-queue': { low: 0.6, high: 0.7 } },
    });
    const { page, errors, offsite } = await open(html, 'report.html');
    expect(errors).toEqual([]);
    expect(offsite).toEqual([]);
    const canvasCount = await page.locator('canvas[data-chart]').count();
    const ink = await canvasInk(page);
    expect(ink).toHaveLength(canvasCount);
    expect(canvasCount).toBeGreaterThanOrEqual(14);
    for (const c of ink) {
      expect(c.width * c.height, c.id).toBeGreaterThan(0);
      // Axes and labels at least; a chart with data shows its datasets' colours too.
      expect(c.painted, c.id).toBeGreaterThan(2000);
      if (c.hasData) expect(c.inDatasetColour, c.id).toBeGreaterThan(50);
    }
    await page.screenshot({ path: join(ARTIFACTS, 'report.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('shows result.json numbers in the verdict table', async () => {
    const { page } = await open(renderHtml(result), 'verdict.html');
    const rows = await page.$$eval('#verdict-table tbody tr', (trs) =>
      trs.map((tr) => ({
        strategy: tr.getAttribute('data-strategy'),
        cells: Object.fromEntries(
          [...tr.querySelectorAll('td[data-key]')].map((td) => [
            td.getAttribute('data-key'),
            {
              text: td.textContent ?? '',
              value: td.getAttribute('data-value'),
              best: td.classList.contains('best'),
            },
          ]),
        ),
      })),
    );
    // One row per strategy; their order is the table's ranking, so rows are found by name.
    expect(rows.map((r) => r.strategy).sort()).toEqual(result.strategies.map((s) => s.name).sort());
    const toMs = (text: string) => {
      const m = text.match(/^([\d.]+) (ms|s)/)!;
      return Number(m[1]) * (m[2] === 's' ? 1000 : 1);
    };
    for (const s of result.strategies) {
      const row = rows.find((r) => r.strategy === s.name)!;
      const c = row.cells as Record<string, { text: string; value: string; best: boolean }>;
      const m = s.summary;
      expect(Number.parseFloat(c.successRate!.text)).toBeCloseTo(m.successRate! * 100, 2);
      expect(Number(c.successRate!.value)).toBe(m.successRate);
      expect(Number.parseFloat(c.goodput!.text)).toBeCloseTo(m.goodputPerSec, 1);
      // Latency columns are of successful requests (failing fast wins nothing).
      for (const p of ['p50', 'p95', 'p99'] as const) {
        const want = m.successLatencyMs[p]!;
        expect(Math.abs(toMs(c[p]!.text) - want) / want, `${s.name} ${p}`).toBeLessThan(0.01);
      }
      expect(Number.parseFloat(c.amplification!.text)).toBeCloseTo(m.amplification!, 2);
      expect(Number(c.wastedRetries!.text.replace(/,/g, ''))).toBe(m.attempts.wastedRetries);
      expect(Number.parseFloat(c.cost!.text.replace('$', ''))).toBeCloseTo(m.cost!.total, 2);
    }
    const best = Math.max(...result.strategies.map((s) => s.summary.successRate!));
    expect(
      rows
        .filter((r) => (r.cells as Record<string, { best: boolean }>).successRate!.best)
        .map((r) => r.strategy)
        .sort(),
    ).toEqual(
      result.strategies
        .filter((s) => s.summary.successRate === best)
        .map((s) => s.name)
        .sort(),
    );
    await page.close();
  }, 60_000);

  it('zooms every time chart to a fault window, to a slider window, and back', async () => {
    const { page, errors } = await open(renderHtml(result), 'zoom.html');
    const xRange = (id: string) =>
      page.evaluate((chartId) => {
        const c = (
          window as unknown as {
            squall: { charts: Record<string, { scales: { x: { min: number; max: number } } }> };
          }
        ).squall.charts[chartId]!;
        return [c.scales.x.min, c.scales.x.max];
      }, id);
    // The time axis spans the longest strategy's series (they run on past the duration while draining).
    const seconds = Math.max(...result.strategies.map((s) => s.summary.series.seconds));
    expect(await xRange('chart-success-over-time-0')).toEqual([0, seconds]);
    const before = await page.evaluate(() =>
      (document.getElementById('chart-success-over-time-0') as HTMLCanvasElement).toDataURL(),
    );

    const button = page.locator('#zoom-window-0');
    const from = Number(await button.getAttribute('data-zoom-from'));
    const to = Number(await button.getAttribute('data-zoom-to'));
    // The storm runs 1:00–2:00: the button says so and zooms to exactly that, not a padded range.
    expect(await button.textContent()).toBe('Zoom to storm (1:00–2:00)');
    expect([from, to]).toEqual([60, 120]);
    await button.click();
    for (const id of [
      'chart-success-over-time-0',
      'chart-success-over-time-2',
      'chart-traffic-0',
      'chart-failures-2',
      'chart-breaker',
      'chart-fault-schedule',
    ]) {
      expect(await xRange(id), id).toEqual([from, to]);
    }
    const after = await page.evaluate(() =>
      (document.getElementById('chart-success-over-time-0') as HTMLCanvasElement).toDataURL(),
    );
    expect(after).not.toBe(before);
    expect(await page.locator('#zoom-shown').textContent()).toBe(`${formatClock(from)} – ${formatClock(to)}`);

    await page.locator('#zoom-start').fill('30');
    expect((await xRange('chart-success-over-time-0'))[0]).toBe(30);
    await page.locator('#zoom-reset').click();
    expect(await xRange('chart-success-over-time-0')).toEqual([0, seconds]);
    // Charts that are not over time are left alone.
    expect(
      await page.evaluate(
        () => (window as unknown as { squall: { timeCharts: unknown[] } }).squall.timeCharts.length,
      ),
    ).toBe((await page.locator('canvas[data-chart]').count()) - 3);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('draws success over time as one panel per strategy, each strategy visible in its own colour', async () => {
    const { page, errors } = await open(renderHtml(result), 'multiples.html');
    // Before reading pixels back: Chromium warns about repeated getImageData on our own canvases.
    expect(errors).toEqual([]);
    const panels = (await canvasInk(page)).filter((c) => c.id.startsWith('chart-success-over-time-'));
    const names = result.strategies.map((s) => s.name);
    expect(panels.map((p) => p.id)).toEqual(names.map((_, i) => `chart-success-over-time-${i}`));
    for (const [i, p] of panels.entries()) {
      // Its own line first (drawn on top), every other strategy behind it for context.
      expect(p.labels[0], p.id).toBe(names[i]);
      expect([...p.labels].sort(), p.id).toEqual([...names].sort());
      // Where all strategies sit at 100% together, the panel's own colour still shows.
      expect(p.inFirstColour, p.id).toBeGreaterThan(200);
    }
    await page.close();
  }, 60_000);

  it('draws the per-strategy traffic and failure panels on one shared y-scale', async () => {
    const { page, errors } = await open(renderHtml(result), 'scales.html');
    const yMax = (prefix: string) =>
      page.evaluate((p) => {
        const charts = (
          window as unknown as { squall: { charts: Record<string, { scales: { y: { max: number } } }> } }
        ).squall.charts;
        return Object.entries(charts)
          .filter(([id]) => id.startsWith(p))
          .map(([, c]) => c.scales.y.max);
      }, prefix);
    // The strategies' own peaks differ (retries): without a shared scale their axes would too.
    const peaks = result.strategies.map((s) => Math.max(...s.summary.series.attempted));
    expect(new Set(peaks).size).toBeGreaterThan(1);
    for (const prefix of ['chart-traffic-', 'chart-failures-']) {
      const maxima = await yMax(prefix);
      expect(maxima, prefix).toHaveLength(result.strategies.length);
      expect(new Set(maxima).size, `${prefix}: ${maxima.join(', ')}`).toBe(1);
    }
    expect((await yMax('chart-traffic-'))[0]).toBeGreaterThanOrEqual(Math.max(...peaks));
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('says "no queue in any strategy" instead of drawing an empty limiter chart', async () => {
    const noQueue: RunResult = structuredClone(result);
    for (const s of noQueue.strategies)
      s.summary.series.queueDepth = s.summary.series.queueDepth.map(() => 0);
    const { page, errors } = await open(renderHtml(noQueue), 'no-queue.html');
    expect(await page.locator('#chart-queue').count()).toBe(0);
    expect(await page.locator('#queue-none').textContent()).toMatch(/^No queue in any strategy/);
    expect(await page.locator('#queue-none').isVisible()).toBe(true);
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('opens with the claims table, coloured by verdict, above the verdict table', async () => {
    const claim = (verdict: ClaimResult['verdict'], text: string): ClaimResult => ({
      text,
      source: 'an article, a section',
      article: '96.7% vs 78.3%',
      check: '"limited-queue".success_rate > "naive-fixed-2s".success_rate',
      measured: {
        quantity: '"limited-queue".success_rate − "naive-fixed-2s".success_rate',
        unit: 'fraction',
        against: 0,
        op: '>',
        mean: 0.1,
        ci95: [0.05, 0.15],
        seeds: 5,
        values: [0.1, 0.1, 0.1, 0.1, 0.1],
        left: { label: '"limited-queue".success_rate', mean: 0.9 },
        right: { label: '"naive-fixed-2s".success_rate', mean: 0.8 },
      },
      verdict,
      reason: 'hand-built',
    });
    const withClaims: RunResult = {
      ...result,
      claims: [claim('confirmed', 'one'), claim('contradicted', 'two'), claim('inconclusive', 'three')],
    };
    const { page, errors } = await open(renderHtml(withClaims), 'claims.html');
    const table = page.locator('#claims-table');
    expect(await table.isVisible()).toBe(true);
    const claimsTop = (await table.boundingBox())!.y;
    const verdictTop = (await page.locator('#verdict-table').boundingBox())!.y;
    expect(claimsTop).toBeLessThan(verdictTop);
    const rows = await page.$$eval('#claims-table tbody tr', (trs) =>
      trs.map((tr) => {
        const cell = tr.querySelector('td[data-key="verdict"]')!;
        return {
          verdict: tr.getAttribute('data-verdict'),
          text: cell.textContent,
          color: getComputedStyle(cell).color,
        };
      }),
    );
    expect(rows.map((r) => [r.verdict, r.text])).toEqual([
      ['confirmed', '✓ confirmed'],
      ['contradicted', '✗ contradicted'],
      ['inconclusive', '? inconclusive'],
    ]);
    expect(new Set(rows.map((r) => r.color)).size).toBe(3);
    expect(await page.locator('#claims').textContent()).toContain(
      '+10.0 pp [+5.0 pp, +15.0 pp] over 5 seeds',
    );
    expect(errors).toEqual([]);
    await page.close();
  }, 60_000);

  it('follows the dark colour scheme', async () => {
    const { page, errors } = await open(renderHtml(result), 'dark.html', 'dark');
    const bg = await page.evaluate(() => getComputedStyle(document.body).backgroundColor);
    expect(bg).toBe('rgb(18, 20, 24)');
    // Before reading pixels back: Chromium warns about repeated getImageData on our own canvases.
    expect(errors).toEqual([]);
    const ink = await canvasInk(page);
    for (const c of ink) expect(c.painted, c.id).toBeGreaterThan(2000);
    await page.close();
  }, 60_000);

  it('renders the compare page with every chart drawn', async () => {
    const candidate: RunResult = structuredClone(result);
    candidate.strategies.reverse();
    const { page, errors, offsite } = await open(renderCompareHtml(result, candidate), 'compare.html');
    expect(errors).toEqual([]);
    expect(offsite).toEqual([]);
    const ink = await canvasInk(page);
    expect(ink.map((c) => c.id).sort()).toEqual(
      [
        'chart-cmp-amplification',
        'chart-cmp-p99',
        'chart-cmp-spectrum',
        'chart-cmp-success',
        'chart-cmp-success-over-time',
      ].sort(),
    );
    for (const c of ink) {
      expect(c.painted, c.id).toBeGreaterThan(2000);
      expect(c.inDatasetColour, c.id).toBeGreaterThan(50);
    }
    await page.locator('#zoom-window-0').click();
    const min = await page.evaluate(
      () =>
        (window as unknown as { squall: { charts: Record<string, { scales: { x: { min: number } } }> } })
          .squall.charts['chart-cmp-success-over-time']!.scales.x.min,
    );
    expect(min).toBeGreaterThan(0);
    await page.close();
  }, 60_000);
});
