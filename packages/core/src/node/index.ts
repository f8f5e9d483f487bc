export { writeJsonFileAtomic, readJsonFile } from './json-file.js';
