/**
 * Renders the report of a shipped scenario and saves a screenshot of it for the README, in headless
 * Chromium (Debian's /usr/bin/chromium):
 *
 *   node scripts/screenshot.ts [scenarios/incidents/2024-12-11-full-outage.yaml] [docs/report-2024-12-11.png]
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { renderHtml } from '../src/report/index.ts';
import { loadScenario, runScenario } from '../src/scenario/plan.ts';
import { launchChromium } from './chromium.ts';

const file = process.argv[2] ?? 'scenarios/incidents/2024-12-11-full-outage.yaml';
const out = process.argv[3] ?? 'docs/report-2024-12-11-full-outage.png';
const run = await runScenario(loadScenario(file));
const html = renderHtml(run.result, { thresholds: run.thresholds });
const dir = mkdtempSync(join(tmpdir(), 'squall-shot-'));
writeFileSync(join(dir, 'report.html'), html);
const context = await launchChromium(join(dir, 'profile'));
const page = await context.newPage();
await page.goto(`file://${join(dir, 'report.html')}`);
await page.waitForTimeout(500);
await page.screenshot({ path: out, clip: { x: 0, y: 0, width: 1280, height: 2400 }, fullPage: true });
await context.close();
rmSync(dir, { recursive: true, force: true });
console.log(`wrote ${out}`);
