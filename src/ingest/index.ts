// Public API of ingest (log following and format parsers). No `vscode` import.
export type { FormatName } from './detect';
export { DEFAULT_WATCH_GLOBS, detectFormat, globToRegExp, matchGlob, runRootOf } from './detect';
export type { IngestOptions } from './watcher';
export { LogWatcher, listLogFiles } from './watcher';
export { Discovery, readHead, sniff, SNIFF_BYTES } from './discovery';
export { ACTIVATION_EVENTS, WATCH_GLOB_TABLE } from './globs';
export { loadRuns } from './load';
export { bulkStats } from './bulk';
export { classify, explicitSplit, splitOf } from './roles';
export { RunStore, SeriesStore } from './store';
export { parseJson } from './json';
