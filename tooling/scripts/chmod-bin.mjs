// Marks built CLI entry points executable (tsc does not keep file modes).
import { chmodSync } from 'node:fs';

for (const file of process.argv.slice(2)) chmodSync(file, 0o755);
