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

type State = { scheduleValues: number[]; error: string; runs: Record<string, { losses: number[]; done: boolean; backend?: string }> };
const state = (page: Page): Promise<State> => page.evaluate(() => (window as unknown as { stepsize: State }).stepsize);

describe.skipIf(!available)('the web page in Debian chromium (playwright-core)', () => {
  let browser: Browser;
  let server: Server;
  let page: Page;
  const errors: string[] = [];

  beforeAll(async () => {
    expect(existsSync(join(dist, 'index.html')), 'the page is built (vite build) before the test').toBe(true);
    const served = await serve();
    server = served.server;
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-background-networking', '--disable-component-update'],
    });
    page = await browser.newPage({ viewport: { width: 1200, height: 1000 } });
    page.on('pageerror', (error) => errors.push(error.message));
    await page.goto(served.url);
    await page.waitForFunction(() => ((window as unknown as { stepsize?: State }).stepsize?.scheduleValues.length ?? 0) > 0, undefined, {
      timeout: 600_000,
    });
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
    await page.fill(
      '#spec',
      JSON.stringify({ type: 'warmup', steps: 20, schedule: { type: 'cosineAnnealing', initialValue: 0.05, steps: 180 } }),
    );
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

  it('trains on tfjs webgl (WebGL2, in software here) close to tfjs cpu; reports whether WebGPU is offered', async () => {
    const offered = await page.evaluate(async () => {
      const webgl2 = document.createElement('canvas').getContext('webgl2') !== null;
      const gpu = (navigator as unknown as { gpu?: { requestAdapter(): Promise<unknown> } }).gpu;
      return { webgl2, webgpu: gpu ? (await gpu.requestAdapter()) !== null : false };
    });
    console.log(`chromium offers: WebGL2 ${offered.webgl2}, a WebGPU adapter ${offered.webgpu}`);
    expect(offered.webgl2, 'Debian chromium renders WebGL2 in software (SwiftShader) even with --disable-gpu').toBe(true);
    await page.selectOption('#tfjs-backend', 'webgl');
    await page.fill('#steps', '150');
    await page.click('#train-tfjs');
    await page.waitForFunction(() => (window as unknown as { stepsize: State }).stepsize.runs.tfjs?.done === true, undefined, {
      timeout: 600_000,
    });
    const run = (await state(page)).runs.tfjs as State['runs'][string];
    expect(run.backend).toBe('webgl');
    const cpu = finished.tfjs?.losses as number[];
    expect(run.losses).toHaveLength(150);
    // Same model, data and schedule; WebGL's float32 shaders round differently from the cpu kernels.
    const gaps = run.losses.map((loss, i) => Math.abs(loss - (cpu[i] as number)) / Math.abs(cpu[i] as number));
    console.log(`tfjs webgl vs cpu: largest relative loss difference ${Math.max(...gaps).toExponential(2)} over 150 steps`);
    expect(gaps[0]).toBeLessThan(1e-4);
    expect(Math.max(...gaps)).toBeLessThan(1e-4);
  });

  it('saves a screenshot and had no page errors', async () => {
    mkdirSync(output, { recursive: true });
    const path = join(output, 'page.png');
    await page.screenshot({ path, fullPage: true });
    expect(readFileSync(path).subarray(1, 4).toString()).toBe('PNG');
    console.log(`web page screenshot: ${path}`);
    expect(errors, errors.join('\n')).toEqual([]);
  });
});
