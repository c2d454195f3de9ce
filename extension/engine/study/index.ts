/**
 * Studies: a sweep's runs turned into the answer it was run for. `buildStudy` (load.ts) is the entry point;
 * metrics.ts names and derives the per-run metrics, study.ts groups them, views.ts makes curves, grids and the
 * Spearman prediction, stats.ts holds the statistics.
 */
export * from './metrics';
export * from './stats';
export * from './study';
export * from './views';
export * from './load';
