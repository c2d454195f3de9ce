/** Run directories on disk: layout, the writer used while training, and the readers. */
export * from './layout';
export * from './writer';
export * from './reader';
