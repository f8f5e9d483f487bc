import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import type { Diagnosis } from '../advisor/diagnose.js';
import type { FindingKind } from '../advisor/finding.js';
import { scheduleFromJSON } from '../schedules/spec.js';

const escapeHtml = (text: string): string => text.replace(/[&<>"']/g, (c) => `&#${c.charCodeAt(0)};`);
/** JSON safe inside a <script> element (non-finite numbers become null, which Chart.js leaves as gaps). */
const scriptJson = (value: unknown): string => JSON.stringify(value).replace(/</g, '\\u003c');

/** Chart.js's UMD build (a dependency of this package), inlined so the report opens offline. */
function chartJs(): string {
  const require = createRequire(import.meta.url);
  return readFileSync(join(dirname(require.resolve('chart.js')), 'chart.umd.min.js'), 'utf8').replace(/<\/script/gi, '<\\/script');
}

/** The colour each kind's range is shaded with. */
export const KIND_COLORS: Readonly<Record<FindingKind, string>> = {
  diverging: '#d62728',
  oscillating: '#ff7f0e',
  slow: '#9467bd',
  plateau: '#8c564b',
  overfitting: '#e377c2',
  spike: '#bcbd22',
  healthy: '#2ca02c',
};

/** Points for Chart.js, at most `limit` of them (evenly thinned; flagged steps are kept by the shading). */
function points(steps: readonly number[], values: readonly number[], limit = 5000): { x: number; y: number | null }[] {
  const every = Math.max(1, Math.ceil(steps.length / limit));
  const result: { x: number; y: number | null }[] = [];
  for (let i = 0; i < steps.length; i += every) {
    const value = values[i] as number;
    result.push({ x: steps[i] as number, y: Number.isFinite(value) ? value : null });
  }
  return result;
}

/**
 * A self-contained HTML report of a diagnosis: the loss curves (training, validation) with the
 * steps of every finding shaded and labelled, the learning rate beside the first recommended
 * schedule, and each finding with its evidence and recommendation. Drawn by Chart.js (inlined).
 */
export function renderDiagnosisReport(diagnosis: Diagnosis, source: string): string {
  const { history, findings, statistics } = diagnosis;
  const logScale = history.losses.every((loss) => !Number.isFinite(loss) || loss > 0);
  const recommended = findings.find((finding) => finding.recommendation.schedule !== undefined)?.recommendation.schedule;
  let recommendedRates: number[] | undefined;
  if (recommended !== undefined) {
    const schedule = scheduleFromJSON(recommended);
    recommendedRates = history.steps.map((step) => schedule(step));
  }
  const data = {
    logScale,
    training: points(history.steps, history.losses),
    validation: points(history.validation.steps, history.validation.losses),
    learningRates: history.learningRates === undefined ? undefined : points(history.steps, history.learningRates),
    recommendedRates: recommendedRates === undefined ? undefined : points(history.steps, recommendedRates),
    ranges: findings
      .filter((finding) => finding.kind !== 'healthy')
      .map((finding) => ({ from: finding.steps.from, to: finding.steps.to, label: finding.kind, color: KIND_COLORS[finding.kind] })),
  };
  const items = findings
    .map((finding) => {
      const evidence = finding.evidence
        .map(
          (e) =>
            `<tr><td>${escapeHtml(e.name)}</td><td>${escapeHtml(String(Number(e.value.toPrecision(4))))}</td><td>${e.threshold === undefined ? '' : escapeHtml(String(e.threshold))}</td><td>${escapeHtml(e.description)}</td></tr>`,
        )
        .join('');
      const spec =
        finding.recommendation.schedule === undefined
          ? ''
          : `<pre>${escapeHtml(JSON.stringify(finding.recommendation.schedule, null, 2))}</pre>`;
      return `<section class="finding"><h3><span class="badge" style="background:${KIND_COLORS[finding.kind]}">${finding.kind}</span> ${finding.severity}, steps ${finding.steps.from}–${finding.steps.to}</h3>
<p>${escapeHtml(finding.summary)}</p>
<table><tr><th>statistic</th><th>value</th><th>threshold</th><th></th></tr>${evidence}</table>
<p><strong>Recommendation:</strong> ${escapeHtml(finding.recommendation.text)}</p>${spec}</section>`;
    })
    .join('\n');
  return `<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>stepsize diagnose: ${escapeHtml(source)}</title>
<style>
body { font: 14px/1.4 system-ui, sans-serif; margin: 2rem auto; max-width: 64rem; color: #222; }
table { border-collapse: collapse; margin: 0.5rem 0; } td, th { padding: 0.2rem 0.7rem; border-bottom: 1px solid #ddd; text-align: left; }
pre { background: #f6f6f6; padding: 0.8rem; overflow-x: auto; } .chart { height: 340px; margin-bottom: 2rem; }
.badge { color: #fff; border-radius: 4px; padding: 0.1rem 0.5rem; } .finding { border-top: 1px solid #ccc; }
</style>
</head>
<body>
<h1>Diagnosis of ${escapeHtml(source)}</h1>
<p>${history.steps.length} training points (steps ${history.steps[0]}–${history.steps[history.steps.length - 1]}), ${history.validation.steps.length} validation points; rolling-median window ${statistics.window}; loss from ${Number(statistics.initialLevel.toPrecision(4))} (L0) to ${Number(statistics.finalLevel.toPrecision(4))} (L_end), lowest level ${Number(statistics.minimumLevel.toPrecision(4))}.</p>
<div class="chart"><canvas id="loss" aria-label="loss curves with the flagged steps shaded"></canvas></div>
${data.learningRates === undefined && data.recommendedRates === undefined ? '' : '<div class="chart"><canvas id="rate" aria-label="learning rate and the recommended schedule"></canvas></div>'}
<h2>Findings</h2>
${items}
<script>${chartJs()}</script>
<script>
const data = ${scriptJson(data)};
const shading = { id: 'shading', beforeDatasetsDraw(chart) {
  const { ctx, chartArea: area, scales: { x } } = chart;
  ctx.save();
  data.ranges.forEach((range, i) => {
    const left = Math.max(area.left, x.getPixelForValue(range.from) - 1), right = Math.min(area.right, x.getPixelForValue(range.to) + 1);
    ctx.globalAlpha = 0.15; ctx.fillStyle = range.color; ctx.fillRect(left, area.top, right - left, area.bottom - area.top);
    ctx.globalAlpha = 1; ctx.fillStyle = range.color; ctx.font = '12px system-ui'; ctx.fillText(range.label, left + 3, area.top + 14 + 14 * (i % 3));
  });
  ctx.restore();
} };
const axis = (title, log) => ({ type: log ? 'logarithmic' : 'linear', title: { display: true, text: title } });
new Chart(document.getElementById('loss'), { type: 'line', plugins: [shading],
  data: { datasets: [
    { label: 'training loss', data: data.training, borderColor: '#1f77b4', borderWidth: 1, pointRadius: 0, spanGaps: false },
    { label: 'validation loss', data: data.validation, borderColor: '#d62728', backgroundColor: '#d62728', borderWidth: 1.5, pointRadius: 2 },
  ] },
  options: { animation: false, maintainAspectRatio: false, parsing: false, scales: { x: axis('step', false), y: axis('loss', data.logScale) } } });
if (document.getElementById('rate')) new Chart(document.getElementById('rate'), { type: 'line', plugins: [shading],
  data: { datasets: [
    ...(data.learningRates ? [{ label: 'learning rate', data: data.learningRates, borderColor: '#2ca02c', borderWidth: 1.5, pointRadius: 0 }] : []),
    ...(data.recommendedRates ? [{ label: 'recommended schedule', data: data.recommendedRates, borderColor: '#9467bd', borderDash: [6, 4], borderWidth: 1.5, pointRadius: 0 }] : []),
  ] },
  options: { animation: false, maintainAspectRatio: false, parsing: false, scales: { x: axis('step', false), y: axis('learning rate', false) } } });
</script>
</body>
</html>
`;
}
