/**
 * The report's stylesheet, shared by the run and compare pages. Colours are CSS variables so one
 * `prefers-color-scheme` block switches the page, and the page script reads the same variables for
 * chart text and grid lines.
 */
export const REPORT_CSS = `
:root {
  color-scheme: light dark;
  --bg: #ffffff; --bg-alt: #f5f6f8; --fg: #1d2430; --fg-muted: #5b6573; --grid: rgba(0,0,0,0.09);
  --border: #d8dce2; --accent: #3867d6; --pass: #1a7f37; --fail: #cf222e; --best-bg: rgba(26,127,55,0.12);
  --ci: rgba(29,36,48,0.35); --offered: #8a94a3; --context: rgba(91,101,115,0.5); --warn: #9a6700;
  font: 14px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif;
}
@media (prefers-color-scheme: dark) {
  :root {
    --bg: #121418; --bg-alt: #1b1e24; --fg: #e3e6eb; --fg-muted: #a0a8b4; --grid: rgba(255,255,255,0.10);
    --border: #2e333b; --accent: #7aa2f7; --pass: #4ac26b; --fail: #ff7b72; --best-bg: rgba(74,194,107,0.18);
    --ci: rgba(227,230,235,0.45); --offered: #9aa3b0; --context: rgba(160,168,180,0.5); --warn: #d29922;
  }
}
* { box-sizing: border-box; }
body { margin: 0; background: var(--bg); color: var(--fg); }
header, main, footer { max-width: 1280px; margin: 0 auto; padding: 0 24px; }
header { padding-top: 20px; }
h1 { font-size: 1.6rem; margin: 0 0 4px; }
h2 { font-size: 1.2rem; margin: 28px 0 8px; border-bottom: 1px solid var(--border); padding-bottom: 4px; }
h3 { font-size: 1rem; margin: 16px 0 6px; }
p.lead { margin: 0 0 12px; color: var(--fg-muted); }
dl.meta { display: grid; grid-template-columns: repeat(auto-fill, minmax(220px, 1fr)); gap: 6px 18px; margin: 10px 0; }
dl.meta div { min-width: 0; }
dl.meta dt { font-size: 0.75rem; text-transform: uppercase; letter-spacing: 0.04em; color: var(--fg-muted); }
dl.meta dd { margin: 0; overflow-wrap: anywhere; }
pre.repro { background: var(--bg-alt); border: 1px solid var(--border); border-radius: 6px; padding: 8px 12px; overflow-x: auto; margin: 6px 0; }
code { font: 0.92em ui-monospace, SFMono-Regular, Menlo, Consolas, monospace; }
.warning { border-left: 4px solid var(--fail); background: var(--bg-alt); padding: 8px 12px; margin: 10px 0; }
table { border-collapse: collapse; margin: 6px 0 12px; font-variant-numeric: tabular-nums; }
th, td { border: 1px solid var(--border); padding: 4px 8px; text-align: right; white-space: nowrap; }
th { background: var(--bg-alt); font-weight: 600; }
th:first-child, td:first-child, td.text { text-align: left; }
td.text { white-space: normal; }
td.best { background: var(--best-bg); font-weight: 600; }
td.best::after { content: " ★"; color: var(--pass); }
.pass { color: var(--pass); font-weight: 600; }
.fail { color: var(--fail); font-weight: 600; }
td.verdict-confirmed { color: var(--pass); font-weight: 600; }
td.verdict-contradicted { color: var(--fail); font-weight: 600; }
td.verdict-inconclusive { color: var(--warn); font-weight: 600; }
.better { color: var(--pass); }
.worse { color: var(--fail); }
.swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 6px; vertical-align: baseline; }
.table-wrap { overflow-x: auto; }
.note { color: var(--fg-muted); font-size: 0.85rem; }
.zoom { position: sticky; top: 0; z-index: 5; background: var(--bg); border-bottom: 1px solid var(--border); padding: 8px 0; display: flex; flex-wrap: wrap; gap: 8px 14px; align-items: center; }
.zoom label { display: inline-flex; gap: 6px; align-items: center; }
.zoom input[type=range] { width: 220px; }
.zoom output { font-variant-numeric: tabular-nums; min-width: 120px; }
button { font: inherit; color: var(--fg); background: var(--bg-alt); border: 1px solid var(--border); border-radius: 5px; padding: 3px 10px; cursor: pointer; }
button:hover { border-color: var(--accent); }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(520px, 1fr)); gap: 16px; }
figure { margin: 0 0 16px; border: 1px solid var(--border); border-radius: 8px; padding: 10px 12px; background: var(--bg); min-width: 0; }
figcaption { font-weight: 600; margin-bottom: 6px; }
figcaption .sub { font-weight: 400; color: var(--fg-muted); font-size: 0.85rem; display: block; }
.chart-box { position: relative; height: 280px; }
.chart-box.tall { height: 340px; }
.chart-box.short { height: 180px; }
.empty-chart { color: var(--fg-muted); margin: 8px 0; }
details { margin-top: 6px; font-size: 0.85rem; }
details summary { cursor: pointer; color: var(--fg-muted); }
footer { color: var(--fg-muted); font-size: 0.8rem; padding-bottom: 24px; }
`;
