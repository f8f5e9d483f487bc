export { writeJsonFileAtomic, readJsonFile, checkpointWriter, type WriteJsonFileOptions } from './json-file.js';
