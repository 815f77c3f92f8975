// What rag-app's EMBEDDER=transformers uses (rag-app/src/embed/transformers-library.ts imports this
// file), resolved from this project's own node_modules.
export { env, pipeline } from '@huggingface/transformers';
