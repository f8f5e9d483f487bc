import { existsSync, mkdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { dirname, extname, join, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const CHROMIUM = '/usr/bin/chromium';
const here = dirname(fileURLToPath(import.meta.url));
const dist = join(here, '../dist');
const output = join(here, '../test-output');
const available = existsSync(CHROMIUM);
if (!available) console.warn(`web end-to-end test skipped: ${CHROMIUM} is absent (apt-get install chromium; CI installs it)`);

/**
 * Debian's chromium 156 offers a WebGPU adapter (SwiftShader, through Vulkan) only with the first
 * three flags, and only to a secure context (the page is served from http://127.0.0.1). The last two
 * put chromium's own Vulkan and ANGLE on SwiftShader too, and --disable-gpu is gone: without them
 * (checked in that chromium), configuring a WebGPU canvas context destroys the device ("A valid external Instance
 * reference no longer exists"), and tfjs webgpu reads tensors back synchronously (dataSync, which the
 * optimizer's non-finite check uses) through such canvases, so training hung after its first step.
 * WebGL2 renders in software with these flags as well (ANGLE on SwiftShader Vulkan).
 */
const GPU_FLAGS = [
  '--enable-unsafe-webgpu',
  '--enable-features=Vulkan',
  '--use-webgpu-adapter=swiftshader',
  '--use-vulkan=swiftshader',
  '--use-angle=swiftshader',
];
/** How long a training run may take: only to catch a hang (webgpu here, in software, reads back through canvases). */
const RUN_TIMEOUT = 1_800_000;

/** The spec every training run below uses (the cpu run's losses are the reference). */
const TRAINING_SPEC = JSON.stringify({ type: 'warmup', steps: 20, schedule: { type: 'cosineAnnealing', initialValue: 0.05, steps: 180 } });

const TYPES: Record<string, string> = {
  '.html': 'text/html',
  '.js': 'text/javascript',
  '.css': 'text/css',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
  '.svg': 'image/svg+xml',
};

/** A static server for the built page (what `vite build` wrote). */
function serve(): Promise<{ server: Server; url: string }> {
  const server = createServer((request, response) => {
    const path = normalize(decodeURIComponent(new URL(request.url ?? '/', 'http://x').pathname)).replace(/^(\.\.[/\\])+/, '');
    const file = join(dist, path === '/' ? 'index.html' : path);
    if (!file.startsWith(dist) || !existsSync(file)) {
      response.writeHead(404).end();
      return;
    }
    response.writeHead(200, { 'content-type': TYPES[extname(file)] ?? 'application/octet-stream' }).end(readFileSync(file));
  });
  return new Promise((resolve) =>
    server.listen(0, '127.0.0.1', () => resolve({ server, url: `http://127.0.0.1:${(server.address() as { port: number }).port}/` })),
  );
}

type State = {
  scheduleValues: number[];
  error: string;
  runs: Record<string, { losses: number[]; done: boolean; backend?: string; fallback?: string }>;
  diagnosis:
    | { findings: { kind: string; severity: string; summary: string; recommendation: string }[]; recommended?: number[]; error: string }
    | undefined;
  rangeTest: { learningRates: number[]; smoothedLosses: number[]; stopReason: string; suggestion?: number; done: boolean } | undefined;
};

/** A history that barely moves at a constant rate of 1e-5 (what the advisor calls slow; the core README's example). */
const SLOW_CSV = `step,loss,learningRate\n${Array.from({ length: 300 }, (_, t) => `${t},${1.1 - 1e-4 * t + 0.02 * Math.sin(t)},0.00001`).join('\n')}\n`;
const state = (page: Page): Promise<State> => page.evaluate(() => (window as unknown as { stepsize: State }).stepsize);

describe.skipIf(!available)('the web page in Debian chromium (playwright-core)', () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  let url: string;
  const errors: string[] = [];

  /** A fresh page of the built app (a tab with its own tfjs), its errors collected. */
  const open = async (initScript?: string): Promise<Page> => {
    const opened = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    opened.on('pageerror', (error) => errors.push(error.message));
    if (initScript) await opened.addInitScript(initScript);
    await opened.goto(url);
    await opened.waitForFunction(() => ((window as unknown as { stepsize?: State }).stepsize?.scheduleValues.length ?? 0) > 0, undefined, {
      timeout: 600_000,
    });
    return opened;
  };

  /** Trains the demo model on tfjs `backend` for `steps` steps in `on` and returns the run. */
  const trainTfjs = async (on: Page, backend: string, steps: number): Promise<State['runs'][string]> => {
    await on.selectOption('#tfjs-backend', backend);
    await on.fill('#steps', String(steps));
    await on.click('#train-tfjs');
    await on.waitForFunction(() => (window as unknown as { stepsize: State }).stepsize.runs.tfjs?.done === true, undefined, {
      timeout: RUN_TIMEOUT,
    });
    return (await state(on)).runs.tfjs as State['runs'][string];
  };

  /** The largest relative difference of `losses` from tfjs cpu's over the same steps. */
  const gapToCpu = (losses: number[]): number => {
    const cpu = finished.tfjs?.losses as number[];
    expect(cpu, 'the tfjs cpu run finished first').toHaveLength(losses.length);
    return Math.max(...losses.map((loss, i) => Math.abs(loss - (cpu[i] as number)) / Math.abs(cpu[i] as number)));
  };

  /**
   * Trains 150 steps on tfjs `backend` (no fallback) and checks that the losses stay within a
   * relative 1e-4 of tfjs cpu's over the same steps (float32 shaders round differently from the
   * cpu kernels); prints the largest difference.
   */
  const expectTrainsCloseToCpu = async (backend: 'webgl' | 'webgpu'): Promise<void> => {
    const run = await trainTfjs(page, backend, 150);
    expect(run.backend).toBe(backend);
    expect(run.fallback).toBeUndefined();
    expect(run.losses).toHaveLength(150);
    expect(await page.textContent('#status')).toMatch(new RegExp(`^tfjs \\(${backend}\\): done, final loss`));
    const gap = gapToCpu(run.losses);
    console.log(`tfjs ${backend} vs cpu: largest relative loss difference ${gap.toExponential(2)} over 150 steps`);
    expect(gap).toBeLessThan(1e-4);
  };

  beforeAll(async () => {
    expect(existsSync(join(dist, 'index.html')), 'the page is built (vite build) before the test').toBe(true);
    const served = await serve();
    server = served.server;
    url = served.url;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', ...GPU_FLAGS, '--disable-background-networking', '--disable-component-update'],
    });
    page = await open();
  });

  afterAll(async () => {
    await browser?.close();
    server?.close();
  });

  it('draws the schedule and redraws it live when the spec is edited', async () => {
    const before = (await state(page)).scheduleValues;
    expect(before).toHaveLength(200);
    expect(Math.max(...before)).toBeCloseTo(0.05, 10);
    await page.fill('#spec', JSON.stringify({ type: 'cosineAnnealing', initialValue: 0.2, steps: 100 }));
    const after = (await state(page)).scheduleValues;
    expect(after[0]).toBe(0.2);
    expect(after[150]).toBeLessThan(0.2);
    expect(await page.textContent('#spec-error')).toBe('');
  });

  it("shows core's validation error with the JSON path inline, and recovers", async () => {
    await page.fill(
      '#spec',
      JSON.stringify({ type: 'warmup', steps: 10, schedule: { type: 'cosineAnnealing', initialValue: 0.1, steps: -5 } }),
    );
    expect(await page.textContent('#spec-error')).toMatch(/\$\.schedule\.steps must be an integer >= 1, got -5/);
    expect(await page.getAttribute('#spec', 'aria-invalid')).toBe('true');
    await page.fill('#spec', '{"type": "warmup", ');
    expect(await page.textContent('#spec-error')).toMatch(/not valid JSON/);
    await page.fill('#spec', TRAINING_SPEC);
    expect(await page.textContent('#spec-error')).toBe('');
  });

  const finished: Record<string, State['runs'][string]> = {};
  for (const [backend, button] of [
    ['engine', '#train-engine'],
    ['tfjs', '#train-tfjs'],
  ] as const) {
    it(`trains on ${backend} and the loss falls`, async () => {
      if (backend === 'tfjs') await page.selectOption('#tfjs-backend', 'cpu');
      await page.fill('#steps', '150');
      await page.click(button);
      await page.waitForFunction((name) => (window as unknown as { stepsize: State }).stepsize.runs[name]?.done === true, backend, {
        timeout: 600_000,
      });
      const run = (await state(page)).runs[backend] as State['runs'][string];
      expect(run.losses).toHaveLength(150);
      const first = run.losses.slice(0, 10).reduce((a, b) => a + b) / 10;
      const last = run.losses.slice(-10).reduce((a, b) => a + b) / 10;
      expect(last).toBeLessThan(first / 2);
      expect(await page.textContent('#status')).toMatch(/done, final loss/);
      finished[backend] = run;
    });
  }

  it("runs the range test on the page model and marks fastai's suggestions", async () => {
    await page.click('#lr-find');
    await page.waitForFunction(() => (window as unknown as { stepsize: State }).stepsize.rangeTest?.done === true, undefined, {
      timeout: 600_000,
    });
    const test = (await state(page)).rangeTest as NonNullable<State['rangeTest']>;
    expect(test.learningRates.length).toBeGreaterThan(30);
    expect(test.learningRates[0]).toBeCloseTo(1e-7, 12);
    expect(test.suggestion).toBeGreaterThan(1e-4);
    expect(test.suggestion).toBeLessThan(1);
    expect(await page.textContent('#lr-summary')).toMatch(/^\d+ updates, (completed|diverged|notFinite); valley [0-9.e-]+/);
  });

  it('reads a pasted history: the findings, the flagged steps, the recommended schedule beside the recorded rate', async () => {
    await page.fill('#history', SLOW_CSV);
    const { diagnosis } = await state(page);
    expect(diagnosis?.error).toBe('');
    expect(diagnosis?.findings[0]).toMatchObject({ kind: 'slow', severity: 'high' });
    expect(diagnosis?.findings[0]?.recommendation).toMatch(/^Multiply the learning rate by 10/);
    // The recommended schedule, sampled at the history's steps: ten times the recorded 1e-5.
    expect(diagnosis?.recommended).toHaveLength(300);
    expect(diagnosis?.recommended?.[0]).toBeCloseTo(1e-4, 15);
    expect(await page.textContent('#findings')).toMatch(/slow \(high\), steps 0-299: /);
    // A bad history: core's message names the line and the column; nothing is drawn from it.
    await page.fill('#history', 'step,loss\n0,1\n1,x\n');
    expect(await page.textContent('#history-error')).toMatch(/line 3.*loss|loss.*line 3/);
    expect(await page.getAttribute('#history', 'aria-invalid')).toBe('true');
  });

  it('reads a dropped file and a chosen one (JSON rows with a validation loss)', async () => {
    // Overfitting: the training loss keeps falling while the validation loss turns up after step 100.
    const rows = Array.from({ length: 300 }, (_, step) => ({
      step,
      loss: 1.2 * Math.exp(-step / 60) + 0.01,
      ...(step % 10 === 0 && { valLoss: 0.4 + 0.8 * Math.exp(-step / 40) + (step > 100 ? (step - 100) * 0.004 : 0) }),
      learningRate: 0.01,
    }));
    const json = JSON.stringify(rows);
    await page.evaluate((text) => {
      const transfer = new DataTransfer();
      transfer.items.add(new File([text], 'history.json', { type: 'application/json' }));
      document.getElementById('history')?.dispatchEvent(new DragEvent('drop', { dataTransfer: transfer, bubbles: true, cancelable: true }));
    }, json);
    await page.waitForFunction(
      () => (window as unknown as { stepsize: State }).stepsize.diagnosis?.findings.some((f) => f.kind === 'overfitting') === true,
    );
    expect((await state(page)).diagnosis?.error).toBe('');
    await page.fill('#history', '');
    await page.setInputFiles('#history-file', { name: 'slow.csv', mimeType: 'text/csv', buffer: Buffer.from(SLOW_CSV) });
    await page.waitForFunction(() => (window as unknown as { stepsize: State }).stepsize.diagnosis?.findings[0]?.kind === 'slow');
    expect(await page.inputValue('#history')).toBe(SLOW_CSV);
  });

  it('diagnoses the last training run of the page', async () => {
    await page.click('#history-from-run');
    const { diagnosis } = await state(page);
    expect(diagnosis?.error).toBe('');
    expect(diagnosis?.findings.length).toBeGreaterThanOrEqual(1);
    expect(await page.inputValue('#history')).toMatch(/^step,loss,learningRate,gradientNorm\n0,/);
  });

  it(
    'trains on tfjs webgl (WebGL2, in software here) close to tfjs cpu',
    async () => {
      const webgl2 = await page.evaluate(() => document.createElement('canvas').getContext('webgl2') !== null);
      expect(webgl2, 'Debian chromium renders WebGL2 in software (ANGLE on SwiftShader) with these flags').toBe(true);
      // Measured here (Debian chromium 156, ANGLE on SwiftShader): 4.2e-6 over 150 steps.
      await expectTrainsCloseToCpu('webgl');
    },
    RUN_TIMEOUT,
  );

  it(
    'trains on tfjs webgpu (SwiftShader WebGPU through Vulkan here) close to tfjs cpu',
    async () => {
      const adapter = await page.evaluate(async () => {
        if (!window.isSecureContext || !navigator.gpu) return { secure: window.isSecureContext, gpu: false, info: null };
        const offered = await navigator.gpu.requestAdapter();
        return { secure: true, gpu: true, info: offered && { vendor: offered.info.vendor, architecture: offered.info.architecture } };
      });
      console.log(`chromium offers a WebGPU adapter: ${JSON.stringify(adapter)}`);
      // Required, not skipped: Debian's chromium offers one with GPU_FLAGS on a page from http://127.0.0.1.
      expect(adapter.gpu, `navigator.gpu exists (secure context: ${adapter.secure}) with ${GPU_FLAGS.join(' ')}`).toBe(true);
      expect(adapter.info, `chromium offers a WebGPU adapter with ${GPU_FLAGS.join(' ')}`).not.toBeNull();
      // Measured here (Debian chromium 156, SwiftShader): 5.2e-6 over 150 steps (webgl: 4.2e-6). The bound,
      // 1e-4, the same as webgl's, leaves a margin of about 20x for other drivers and rounding orders.
      await expectTrainsCloseToCpu('webgpu');
    },
    RUN_TIMEOUT,
  );

  it(
    'falls back to tfjs cpu, and says why, where navigator.gpu or a WebGPU adapter is missing',
    async () => {
      for (const [initScript, reason] of [
        ["Object.defineProperty(Navigator.prototype, 'gpu', { value: undefined });", /navigator\.gpu is missing/],
        ['GPU.prototype.requestAdapter = async () => null;', /no WebGPU adapter or device is offered/],
      ] as const) {
        const other = await open(initScript);
        try {
          await other.fill('#spec', TRAINING_SPEC);
          const run = await trainTfjs(other, 'webgpu', 10);
          expect(run.backend).toBe('cpu');
          expect(run.fallback).toMatch(reason);
          expect(run.losses).toHaveLength(10);
          // The same steps as the tfjs cpu run's first 10 (same model, data and schedule, same kernels).
          expect(run.losses).toEqual(finished.tfjs?.losses.slice(0, 10));
          const status = await other.textContent('#status');
          expect(status).toMatch(/^tfjs \(cpu\): done, final loss .* \(webgpu unavailable here: .*; trained on cpu\)$/);
          expect(status).toMatch(reason);
        } finally {
          await other.close();
        }
      }
    },
    RUN_TIMEOUT,
  );

  it('saves a screenshot and had no page errors', async () => {
    mkdirSync(output, { recursive: true });
    const path = join(output, 'page.png');
    await page.screenshot({ path, fullPage: true });
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
    console.log(`web page screenshot: ${path}`);
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
