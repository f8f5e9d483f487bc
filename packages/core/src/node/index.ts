export { writeJsonFileAtomic, readJsonFile, checkpointWriter } from './json-file.js';
