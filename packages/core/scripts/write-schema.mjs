// Writes schema/schedule.schema.json from the built package (run after `pnpm build`).
// A test checks that the committed file equals scheduleJSONSchema().
import { writeFileSync } from 'node:fs';
import { scheduleJSONSchema } from '../dist/index.js';

const target = new URL('../schema/schedule.schema.json', import.meta.url);
writeFileSync(target, `${JSON.stringify(scheduleJSONSchema(), null, 2)}\n`);
console.log(`wrote ${target.pathname}`);
