// safetensors: writer (write.ts) and reader (read.ts, helper H5).
export * from './write';
