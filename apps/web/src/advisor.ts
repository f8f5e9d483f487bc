import { sample, scheduleFromJSON, type StepRecord } from '@stepsize/core';
import { type Diagnosis, diagnose } from '@stepsize/core/advisor';
import type { Chart } from 'chart.js';

/** What the advisor panel shows, for the page's state (`window.stepsize.diagnosis`). */
export interface DiagnosisState {
  readonly findings: readonly {
    readonly kind: string;
    readonly severity: string;
    readonly summary: string;
    readonly recommendation: string;
  }[];
  /** The recommended schedule sampled at the history's steps, when the advisor built one. */
  readonly recommended: readonly number[] | undefined;
  readonly error: string;
}

const SHADES: Record<string, string> = {
  diverging: 'rgba(214, 39, 40, 0.18)',
  oscillating: 'rgba(255, 127, 14, 0.2)',
  spike: 'rgba(255, 127, 14, 0.3)',
  slow: 'rgba(31, 119, 180, 0.15)',
  plateau: 'rgba(148, 103, 189, 0.18)',
  overfitting: 'rgba(140, 86, 75, 0.2)',
  healthy: 'rgba(44, 160, 44, 0.1)',
};

/** A history CSV of a page run (the columns `diagnose` reads). */
export function historyCsv(records: readonly StepRecord[]): string {
  return `step,loss,learningRate,gradientNorm\n${records.map((r) => `${r.step},${r.loss},${r.learningRate},${r.gradientNorm}`).join('\n')}\n`;
}

/**
 * Diagnoses `text` (CSV or JSON, as `stepsize diagnose` reads it) and draws it: the training and
 * validation losses with each finding's steps shaded, and the recorded learning rate beside the
 * recommended schedule (the first finding's, when it changes the schedule). Returns the state,
 * or the error (core's message, naming the line and column) when the history cannot be read.
 */
export function showDiagnosis(text: string, charts: { readonly loss: Chart; readonly rate: Chart }, list: HTMLElement): DiagnosisState {
  let diagnosis: Diagnosis;
  try {
    diagnosis = diagnose(text);
  } catch (error) {
    list.replaceChildren();
    charts.loss.data.datasets = [];
    charts.rate.data.datasets = [];
    charts.loss.update();
    charts.rate.update();
    return { findings: [], recommended: undefined, error: error instanceof Error ? error.message : String(error) };
  }
  const { history, findings } = diagnosis;
  const steps = history.steps;
  const top = Math.max(...history.losses.filter(Number.isFinite), ...history.validation.losses.filter(Number.isFinite));
  const validationAt = new Map(history.validation.steps.map((step, i) => [step, history.validation.losses[i] as number]));
  charts.loss.data.labels = [...steps];
  charts.loss.data.datasets = [
    {
      label: 'training loss',
      data: history.losses.map((loss) => (Number.isFinite(loss) ? loss : null)),
      borderColor: '#1f77b4',
      borderWidth: 1.2,
    },
    ...(history.validation.steps.length > 0
      ? [
          {
            label: 'validation loss',
            data: steps.map((step) => validationAt.get(step) ?? null),
            borderColor: '#d62728',
            borderWidth: 1.5,
            spanGaps: true,
          },
        ]
      : []),
    ...findings
      .filter((finding) => finding.kind !== 'healthy')
      .map((finding) => ({
        label: `${finding.kind} (steps ${finding.steps.from}-${finding.steps.to})`,
        data: steps.map((step) => (step >= finding.steps.from && step <= finding.steps.to ? top : null)),
        backgroundColor: SHADES[finding.kind],
        borderWidth: 0,
        fill: 'origin' as const,
        pointRadius: 0,
      })),
  ];
  charts.loss.update();
  const recommendedSpec = findings.find((finding) => finding.recommendation.schedule !== undefined)?.recommendation.schedule;
  const first = steps[0] ?? 0;
  const recommended =
    recommendedSpec === undefined
      ? undefined
      : Array.from(sample(scheduleFromJSON(recommendedSpec), { start: first, steps: steps.length }));
  charts.rate.data.labels = [...steps];
  charts.rate.data.datasets = [
    ...(history.learningRates
      ? [{ label: 'recorded learning rate', data: [...history.learningRates], borderColor: '#ff7f0e', borderWidth: 1.5 }]
      : []),
    ...(recommended
      ? [{ label: 'recommended schedule', data: recommended, borderColor: '#2ca02c', borderWidth: 1.5, borderDash: [5, 3] }]
      : []),
  ];
  charts.rate.update();
  list.replaceChildren(
    ...findings.map((finding) => {
      const item = document.createElement('li');
      item.className = `finding ${finding.kind}`;
      const head = document.createElement('strong');
      head.textContent = `${finding.kind} (${finding.severity}), steps ${finding.steps.from}-${finding.steps.to}: `;
      const change = document.createElement('div');
      change.textContent = finding.recommendation.text;
      item.append(head, finding.summary, change);
      return item;
    }),
  );
  return {
    findings: findings.map((f) => ({ kind: f.kind, severity: f.severity, summary: f.summary, recommendation: f.recommendation.text })),
    recommended,
    error: '',
  };
}
