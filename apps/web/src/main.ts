import { StepsizeError, sample, scheduleFromJSON, type Schedule } from '@stepsize/core';
import { Chart, registerables } from 'chart.js';
import { iris } from '@stepsize/datasets';
import { trainOn } from './training.js';
import type { StepRecord } from '@stepsize/core';

Chart.register(...registerables);

const DEFAULT_SPEC = { type: 'warmup', steps: 20, schedule: { type: 'cosineAnnealing', initialValue: 0.05, steps: 180, minValue: 0.0005 } };
const CURVE_STEPS = 200;

/** What the page exposes for its end-to-end test and for curious users (`window.stepsize`). */
interface PageState {
  scheduleValues: number[];
  error: string;
  runs: Record<string, { losses: number[]; learningRates: number[]; done: boolean; backend?: string; fallback?: string }>;
}
const state: PageState = { scheduleValues: [], error: '', runs: {} };
(window as unknown as { stepsize: PageState }).stepsize = state;

const $ = <T extends HTMLElement>(id: string): T => document.getElementById(id) as T;
const spec = $<HTMLTextAreaElement>('spec');
const errorBox = $<HTMLDivElement>('spec-error');
const status = $<HTMLSpanElement>('status');

const line = (canvas: string, label: string, logY = false): Chart =>
  new Chart($<HTMLCanvasElement>(canvas), {
    type: 'line',
    data: { labels: [], datasets: [] },
    options: {
      animation: false,
      maintainAspectRatio: false,
      plugins: { title: { display: true, text: label } },
      scales: { x: { title: { display: true, text: 'step' } }, y: { type: logY ? 'logarithmic' : 'linear' } },
      elements: { point: { radius: 0 } },
    },
  });
const scheduleChart = line('schedule-chart', 'learning rate');
const lossChart = line('loss-chart', 'training loss', true);
const rateChart = line('rate-chart', 'learning rate seen by the optimizer');

let schedule: Schedule | undefined;

/** Parses and validates the spec; shows core's error (with its JSON path) inline, or redraws the curve. */
function update(): void {
  try {
    const parsed = scheduleFromJSON(spec.value);
    schedule = parsed;
    state.scheduleValues = Array.from(sample(parsed, { steps: CURVE_STEPS }));
    state.error = '';
    errorBox.textContent = '';
    spec.setAttribute('aria-invalid', 'false');
    scheduleChart.data.labels = state.scheduleValues.map((_, i) => i);
    scheduleChart.data.datasets = [{ label: 'learning rate', data: state.scheduleValues, borderColor: '#ff7f0e', borderWidth: 1.5 }];
    scheduleChart.update();
  } catch (error) {
    schedule = undefined;
    state.error = error instanceof StepsizeError || error instanceof Error ? error.message : String(error);
    errorBox.textContent = state.error;
    spec.setAttribute('aria-invalid', 'true');
  }
}

const COLORS: Record<string, string> = { engine: '#1f77b4', tfjs: '#d62728' };

function track(name: string): (record: StepRecord) => void {
  const run: PageState['runs'][string] = { losses: [], learningRates: [], done: false };
  state.runs[name] = run;
  const lossSet = { label: name, data: run.losses, borderColor: COLORS[name], borderWidth: 1.5 };
  const rateSet = { label: name, data: run.learningRates, borderColor: COLORS[name], borderWidth: 1.5 };
  lossChart.data.datasets = [...lossChart.data.datasets.filter((d) => d.label !== name), lossSet];
  rateChart.data.datasets = [...rateChart.data.datasets.filter((d) => d.label !== name), rateSet];
  return (record) => {
    run.losses.push(record.loss);
    run.learningRates.push(record.learningRate);
    const labels = Math.max(lossChart.data.labels?.length ?? 0, run.losses.length);
    lossChart.data.labels = rateChart.data.labels = Array.from({ length: labels }, (_, i) => i);
    if (record.step % 10 === 9) {
      lossChart.update();
      rateChart.update();
      status.textContent = `${name}: step ${record.step + 1}, loss ${record.loss.toFixed(4)}`;
    }
  };
}

async function train(name: 'engine' | 'tfjs'): Promise<void> {
  if (!schedule) {
    status.textContent = 'fix the schedule spec first';
    return;
  }
  const steps = Math.max(1, Math.floor(Number($<HTMLInputElement>('steps').value) || 200));
  const report = track(name);
  const run = state.runs[name] as PageState['runs'][string];
  const { backend, fallback } = await trainOn({
    name,
    spec: spec.value,
    data: iris().train,
    steps,
    tfjsBackend: $<HTMLSelectElement>('tfjs-backend').value,
    report,
  });
  if (name === 'tfjs') run.backend = backend.replace(/^tfjs \((.*)\)$/, '$1');
  if (fallback !== undefined) run.fallback = fallback;
  run.done = true;
  lossChart.update();
  rateChart.update();
  status.textContent = `${name}${run.backend ? ` (${run.backend})` : ''}: done, final loss ${(run.losses.at(-1) ?? Number.NaN).toFixed(4)}${fallback ? ` (${fallback})` : ''}`;
}

spec.value = JSON.stringify(DEFAULT_SPEC, null, 2);
spec.addEventListener('input', update);
$<HTMLButtonElement>('train-engine').addEventListener('click', () => void train('engine'));
$<HTMLButtonElement>('train-tfjs').addEventListener('click', () => void train('tfjs'));
update();
