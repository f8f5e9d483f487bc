// The tiny page: runs step.ts and prints its result as JSON in <pre id="out"> (and as
// window.stepsizeResult, or window.stepsizeError), which bundle.test.ts reads in Chromium.
import { runSteps } from './step.js';

/** The page's globals, as far as this script uses them (the project's libs declare no DOM). */
declare const document: { querySelector(selector: string): { textContent: string | null } | null };
const page = globalThis as { stepsizeResult?: unknown; stepsizeError?: string };

runSteps().then(
  (result) => {
    const out = document.querySelector('#out');
    if (out) out.textContent = JSON.stringify(result, null, 1);
    page.stepsizeResult = result;
  },
  (error: unknown) => {
    page.stepsizeError = error instanceof Error ? `${error.message}\n${error.stack ?? ''}` : String(error);
  },
);
