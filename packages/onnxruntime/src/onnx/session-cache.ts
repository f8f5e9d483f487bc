import type * as ort from 'onnxruntime-node';

/**
 * Sessions (with what was built alongside them) by key, each built once: beyond `capacity`
 * the least recently used is released; a build that fails is not kept, so the next `get`
 * tries again.
 */
export class SessionCache<T extends { readonly session: ort.InferenceSession }> {
  private readonly entries = new Map<string, Promise<T>>();

  constructor(private readonly capacity: number) {}

  /** The entry of `key`, built by `build` the first time (and again after a failed build). */
  get(key: string, build: () => Promise<T>): Promise<T> {
    const found = this.entries.get(key);
    if (found !== undefined) {
      // Most recently used last.
      this.entries.delete(key);
      this.entries.set(key, found);
      return found;
    }
    const entry = build();
    void entry.catch(() => {
      if (this.entries.get(key) === entry) this.entries.delete(key);
    });
    this.entries.set(key, entry);
    if (this.entries.size > this.capacity) {
      const [oldest, evicted] = this.entries.entries().next().value as [string, Promise<T>];
      this.entries.delete(oldest);
      void evicted.then(
        (built) => built.session.release(),
        () => undefined,
      );
    }
    return entry;
  }

  /** Number of entries kept. */
  get size(): number {
    return this.entries.size;
  }

  /** Releases every session (entries whose build failed are skipped). */
  async release(): Promise<void> {
    const entries = [...this.entries.values()];
    this.entries.clear();
    for (const entry of entries)
      await entry.then(
        (built) => built.session.release(),
        () => undefined,
      );
  }
}
