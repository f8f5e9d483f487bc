import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Row } from '../table.js';

/** What the HTML report shows. */
export interface ReportData {
  readonly title: string;
  readonly dataset: string;
  readonly rows: readonly Row[];
  readonly tolerance: number;
  readonly scheduleSpec: unknown;
  readonly optimizerSpec: unknown;
  /** The learning rate at every step (from the schedule). */
  readonly learningRates: readonly number[];
}

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON safe inside a <script> element. */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** Chart.js's UMD build, inlined so the report needs no network. */
function chartJs(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
}

const COLORS = ['#1f77b4', '#d62728', '#2ca02c', '#9467bd'];

/** A self-contained HTML report: learning-rate curve, overlaid loss curves, the table and the specs. */
export function renderReport(data: ReportData): string {
  const steps = data.learningRates.map((_, i) => i);
  const lossSets = data.rows.map(({ run }, i) => ({
    label: run.backend,
    data: run.losses,
    borderColor: COLORS[i % COLORS.length],
    borderWidth: 1.5,
    pointRadius: 0,
    borderDash: i === 0 ? [] : [6, 3 + i],
  }));
  const table = data.rows
    .map(
      ({ run, difference }) =>
        `<tr><td>${escapeHtml(run.backend)}</td><td>${(run.losses.at(-1) ?? Number.NaN).toFixed(4)}</td><td>${(run.accuracy * 100).toFixed(1)}%</td><td>${run.stepsPerSecond.toFixed(0)}</td><td>${(run.wallMs / 1000).toFixed(2)} s</td><td>${run.backend === 'engine' ? '(reference)' : difference.toExponential(2)}</td></tr>`,
    )
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>${escapeHtml(data.title)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 60rem; color: #222; }
table { border-collapse: collapse; } td, th { padding: 0.3rem 0.8rem; border-bottom: 1px solid #ddd; text-align: right; } td:first-child, th:first-child { text-align: left; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; } .chart { height: 320px; margin-bottom: 2rem; }
</style>
</head>
<body>
<h1>${escapeHtml(data.title)}</h1>
<p>${escapeHtml(data.dataset)}. Backends agree when the largest relative loss difference from the engine stays below ${data.tolerance.toExponential(0)}.</p>
<h2>Learning rate</h2>
<div class="chart"><canvas id="learning-rate" data-values="${data.learningRates.length}"></canvas></div>
<h2>Training loss, every backend</h2>
<div class="chart"><canvas id="loss"></canvas></div>
<h2>Results</h2>
<table id="results"><thead><tr><th>backend</th><th>final loss</th><th>accuracy (held out)</th><th>steps/s</th><th>wall time</th><th>max diff vs engine</th></tr></thead>
<tbody>
${table}
</tbody></table>
<h2>Schedule</h2>
<pre id="schedule-spec">${escapeHtml(JSON.stringify(data.scheduleSpec, null, 2))}</pre>
<h2>Optimizer</h2>
<pre id="optimizer-spec">${escapeHtml(JSON.stringify(data.optimizerSpec, null, 2))}</pre>
<script>${chartJs()}</script>
<script>
const steps = ${scriptJson(steps)};
const common = { animation: false, responsive: true, maintainAspectRatio: false, scales: { x: { type: 'linear', title: { display: true, text: 'step' } } } };
new Chart(document.getElementById('learning-rate'), { type: 'line', data: { labels: steps, datasets: [{ label: 'learning rate', data: ${scriptJson(data.learningRates)}, borderColor: '#ff7f0e', pointRadius: 0, borderWidth: 1.5 }] }, options: common });
new Chart(document.getElementById('loss'), { type: 'line', data: { labels: steps, datasets: ${scriptJson(lossSets)} }, options: { ...common, scales: { ...common.scales, y: { type: 'logarithmic', title: { display: true, text: 'loss' } } } } });
</script>
</body>
</html>
`;
}
