import { StepsizeError } from '@stepsize/core';
import * as ort from 'onnxruntime-node';

type SessionOptions = ort.InferenceSession.SessionOptions;
type ExecutionProvider = NonNullable<SessionOptions['executionProviders']>[number];

/** The name of an execution provider entry (`'cuda'` or `{ name: 'cuda', ... }`). */
function providerName(provider: ExecutionProvider): string {
  return typeof provider === 'string' ? provider : String((provider as { name?: unknown } | null)?.name);
}

/** What this build of onnxruntime-node offers, for the error message: `cpu, webgpu, cuda, tensorrt (with the libraries ...)`. */
function availableProviders(): string {
  let backends: readonly { readonly name: string; readonly bundled: boolean }[];
  try {
    backends = ort.listSupportedBackends();
  } catch {
    return 'cpu (it could not list the others)';
  }
  const bundled = backends.filter((backend) => backend.bundled).map((backend) => backend.name);
  const downloaded = backends.filter((backend) => !backend.bundled).map((backend) => backend.name);
  const extra = downloaded.length === 0 ? '' : `, ${downloaded.join(', ')} (with the libraries its install script downloads)`;
  return `${bundled.join(', ')}${extra}`;
}

/** Undefined when ONNX Runtime loads `model` with these options (the session is released at once), else its error. */
async function loads(model: Uint8Array | string, options: SessionOptions): Promise<{ readonly error: unknown } | undefined> {
  try {
    const session = await ort.InferenceSession.create(model as Uint8Array, options);
    await session.release();
    return undefined;
  } catch (error) {
    return { error };
  }
}

/** ONNX Runtime's message, without its final full stop (it goes inside ours). */
const messageOf = (error: unknown): string => (error instanceof Error ? error.message : String(error)).trim().replace(/\.$/, '');

/**
 * Creates an ONNX Runtime session of model bytes or a file path, with the CPU execution
 * provider unless `options` names others. A failure is told apart: when the options name
 * execution providers other than `cpu` and the model loads on the CPU alone, the error is
 * the provider's (`<where>.sessionOptions.executionProviders`: which provider, ONNX
 * Runtime's message and what this build offers); otherwise it is the model's
 * (`<where>.<model>`: could not be loaded). ONNX Runtime's error is the `cause`.
 *
 * @internal
 * @example
 * ```ts
 * const session = await createSession(bytes, { executionProviders: ['cuda'] }, { options: 'onnxruntimeTrainingBackend options', model: 'onnxruntimeTrainingBackend options.model', what: `${bytes.length} bytes` });
 * // onnxruntimeTrainingBackend options.sessionOptions.executionProviders: ONNX Runtime could not use "cuda": ...
 * ```
 */
export async function createSession(
  model: Uint8Array | string,
  options: SessionOptions,
  where: {
    /** The options' path (`onnxruntimeTrainingBackend options`): a provider's error is at `<options>.sessionOptions.executionProviders`. */
    readonly options: string;
    /** The model's path, for a model that does not load. */
    readonly model: string;
    /** The model as the error's value (`'model.onnx'`, `'1234 bytes'`). */
    readonly what: string;
  },
): Promise<ort.InferenceSession> {
  const given: SessionOptions = { executionProviders: ['cpu'], ...options };
  try {
    // A path or bytes: one call (ONNX Runtime tells them apart at run time; its overloads take one each).
    return await ort.InferenceSession.create(model as Uint8Array, given);
  } catch (error) {
    const providers = Array.isArray(given.executionProviders) ? given.executionProviders : [];
    const others = providers.filter((provider) => providerName(provider) !== 'cpu');
    // With other providers, load on the CPU alone: a model that fails there too is the model's problem (its own message).
    const onCpu = others.length === 0 ? { error } : await loads(model, { ...given, executionProviders: ['cpu'] });
    if (onCpu === undefined) {
      // The model is fine: find the providers that fail on their own (all of them when none does alone).
      const failing: string[] = [];
      for (const provider of others) {
        if ((await loads(model, { ...given, executionProviders: [provider] })) !== undefined) failing.push(providerName(provider));
      }
      const culprits = failing.length > 0 ? failing : others.map(providerName);
      const names = culprits.map((name) => JSON.stringify(name)).join(', ');
      throw new StepsizeError(
        `${where.options}.sessionOptions.executionProviders`,
        `names ${culprits.length > 1 ? 'providers' : 'a provider'} ONNX Runtime could not use, ${names} (${messageOf(error)}); this build of onnxruntime-node has: ${availableProviders()}; the model loads with executionProviders: ['cpu']`,
        options.executionProviders,
        { cause: error },
      );
    }
    throw new StepsizeError(where.model, `could not be loaded by ONNX Runtime: ${messageOf(onCpu.error)}`, where.what, {
      cause: onCpu.error,
    });
  }
}

/** A training model: ONNX bytes, a file path, or a session you created (which stays yours). */
export type TrainingModelSource = Uint8Array | string | ort.InferenceSession;

/**
 * Opens a model source with {@link createSession} (a session you created is used as it is);
 * `owned` when it was loaded here (and so is released by its loader). Anything else is an
 * error at `<where>.<source>`.
 */
export async function openModel(model: TrainingModelSource, options: SessionOptions, where: string, source: string) {
  if (typeof model === 'object' && model !== null && typeof (model as ort.InferenceSession).run === 'function') {
    return { session: model as ort.InferenceSession, owned: false };
  }
  if (typeof model !== 'string' && !(model instanceof Uint8Array)) {
    throw new StepsizeError(`${where}.${source}`, 'must be ONNX model bytes (Uint8Array), a file path or an InferenceSession', model);
  }
  const what = typeof model === 'string' ? model : `${model.length} bytes`;
  const session = await createSession(model, options, { options: where, model: `${where}.${source}`, what });
  return { session, owned: true };
}
