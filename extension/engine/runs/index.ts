/** Run directories on disk: layout, the start request, the writer used while training, and the readers. */
export * from './layout';
export * from './start';
export * from './writer';
export * from './reader';
