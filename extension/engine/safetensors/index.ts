// safetensors: writer (write.ts) and validating, lazy reader (read.ts).
export * from './write';
export * from './read';
