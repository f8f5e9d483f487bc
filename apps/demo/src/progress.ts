import cliProgress from 'cli-progress';

/** Per-backend progress: bars on a terminal, a few plain lines otherwise. */
export interface Progress {
  track(backend: string, total: number): (done: number) => void;
  stop(): void;
}

/** Progress bars with cli-progress when `stream` is a TTY; plain log lines (every 25%) when not. */
export function createProgress(
  stream: NodeJS.WriteStream = process.stdout,
  log: (line: string) => void = (line) => stream.write(`${line}\n`),
): Progress {
  if (stream.isTTY) {
    const bars = new cliProgress.MultiBar(
      { format: '{backend} |{bar}| {value}/{total} steps', hideCursor: true, clearOnComplete: false, stream },
      cliProgress.Presets.shades_classic,
    );
    return {
      track: (backend, total) => {
        const bar = bars.create(total, 0, { backend: backend.padEnd(12) });
        return (done) => bar.update(done);
      },
      stop: () => bars.stop(),
    };
  }
  return {
    track: (backend, total) => {
      let next = 0.25;
      return (done) => {
        if (done / total >= next || done === total) {
          log(`${backend}: ${done}/${total} steps`);
          while (done / total >= next) next += 0.25;
        }
      };
    },
    stop: () => {},
  };
}
