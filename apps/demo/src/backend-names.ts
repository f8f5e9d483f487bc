/** The backends the demo trains on, in the order it runs them (the engine is the reference). */
export const BACKEND_NAMES = ['engine', 'tfjs', 'onnxruntime'] as const;
export type BackendName = (typeof BACKEND_NAMES)[number];

/** Whether `name` is one of {@link BACKEND_NAMES}. */
export const isBackendName = (name: string): name is BackendName => (BACKEND_NAMES as readonly string[]).includes(name);
