import { StepsizeError, sample, scheduleFromJSON, type Schedule } from '@stepsize/core';
import { Chart, registerables } from 'chart.js';
import { iris } from '@stepsize/datasets';
import { trainOn } from './training.js';
import type { StepRecord } from '@stepsize/core';
import { type DiagnosisState, historyCsv, showDiagnosis } from './advisor.js';
import { runRangeTest } from './range-test.js';

Chart.register(...registerables);

const DEFAULT_SPEC = { type: 'warmup', steps: 20, schedule: { type: 'cosineAnnealing', initialValue: 0.05, steps: 180, minValue: 0.0005 } };
const CURVE_STEPS = 200;

/** What the page exposes for its end-to-end test and for curious users (`window.stepsize`). */
interface PageState {
  scheduleValues: number[];
  error: string;
  runs: Record<
    string,
    { losses: number[]; learningRates: number[]; records: StepRecord[]; done: boolean; backend?: string; fallback?: string }
  >;
  diagnosis: DiagnosisState | undefined;
  rangeTest:
    | { learningRates: number[]; smoothedLosses: number[]; stopReason: string; suggestion: number | undefined; done: boolean }
    | undefined;
}
const state: PageState = { scheduleValues: [], error: '', runs: {}, diagnosis: undefined, rangeTest: undefined };
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
/** The run "use the last training run" reads. */
let lastRun: string | undefined;

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
  const run: PageState['runs'][string] = { losses: [], learningRates: [], records: [], done: false };
  state.runs[name] = run;
  const lossSet = { label: name, data: run.losses, borderColor: COLORS[name], borderWidth: 1.5 };
  const rateSet = { label: name, data: run.learningRates, borderColor: COLORS[name], borderWidth: 1.5 };
  lossChart.data.datasets = [...lossChart.data.datasets.filter((d) => d.label !== name), lossSet];
  rateChart.data.datasets = [...rateChart.data.datasets.filter((d) => d.label !== name), rateSet];
  return (record) => {
    run.records.push(record);
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
  lastRun = name;
  lossChart.update();
  rateChart.update();
  status.textContent = `${name}${run.backend ? ` (${run.backend})` : ''}: done, final loss ${(run.losses.at(-1) ?? Number.NaN).toFixed(4)}${fallback ? ` (${fallback})` : ''}`;
}

// The range test on the page's model.
const lrChart = new Chart($<HTMLCanvasElement>('lr-chart'), {
  type: 'line',
  data: { datasets: [] },
  options: {
    animation: false,
    maintainAspectRatio: false,
    parsing: false,
    plugins: { title: { display: true, text: 'range test: loss against the learning rate' } },
    scales: {
      x: {
        type: 'logarithmic',
        title: { display: true, text: 'learning rate' },
        // Powers of ten only, as 1e-7 ... 1e+1.
        ticks: { callback: (value) => (Number.isInteger(Math.log10(Number(value))) ? Number(value).toExponential(0) : '') },
      },
      y: { title: { display: true, text: 'loss' } },
    },
    elements: { point: { radius: 0 } },
  },
});
$<HTMLButtonElement>('lr-find').addEventListener('click', () => {
  const summary = $<HTMLSpanElement>('lr-summary');
  summary.textContent = 'running...';
  state.rangeTest = undefined;
  void runRangeTest(iris().train, lrChart, summary).then((result) => {
    state.rangeTest = {
      learningRates: result.learningRates,
      smoothedLosses: result.smoothedLosses,
      stopReason: result.stopReason,
      suggestion: result.suggestion?.learningRate,
      done: true,
    };
  });
});

// The advisor: a history pasted, dropped or chosen, or the last training run.
const history = $<HTMLTextAreaElement>('history');
const historyError = $<HTMLDivElement>('history-error');
const historyCharts = {
  loss: line('history-chart', 'loss, flagged steps shaded', true),
  rate: line('recommended-chart', 'learning rate: recorded and recommended'),
};
function readHistory(): void {
  if (history.value.trim() === '') return;
  const diagnosis = showDiagnosis(history.value, historyCharts, $<HTMLOListElement>('findings'));
  state.diagnosis = diagnosis;
  historyError.textContent = diagnosis.error;
  history.setAttribute('aria-invalid', diagnosis.error === '' ? 'false' : 'true');
}
const load = async (file: File | undefined): Promise<void> => {
  if (file === undefined) return;
  history.value = await file.text();
  readHistory();
};
history.addEventListener('input', readHistory);
history.addEventListener('dragover', (event) => {
  event.preventDefault();
  history.classList.add('dragging');
});
history.addEventListener('dragleave', () => history.classList.remove('dragging'));
history.addEventListener('drop', (event) => {
  event.preventDefault();
  history.classList.remove('dragging');
  void load(event.dataTransfer?.files[0]);
});
$<HTMLInputElement>('history-file').addEventListener('change', (event) => void load((event.target as HTMLInputElement).files?.[0]));
$<HTMLButtonElement>('history-from-run').addEventListener('click', () => {
  const run = lastRun === undefined ? undefined : state.runs[lastRun];
  if (run === undefined) {
    historyError.textContent = 'train on the engine or tfjs first';
    return;
  }
  history.value = historyCsv(run.records);
  readHistory();
});

spec.value = JSON.stringify(DEFAULT_SPEC, null, 2);
spec.addEventListener('input', update);
$<HTMLButtonElement>('train-engine').addEventListener('click', () => void train('engine'));
$<HTMLButtonElement>('train-tfjs').addEventListener('click', () => void train('tfjs'));
update();
