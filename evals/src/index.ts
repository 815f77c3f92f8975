// Public API of @dark-factory/evals (the factory and CI use these).
export { fromRag, httpClient, type RagClient } from './client.ts';
export {
  CASE_KINDS,
  type CaseKind,
  callFor,
  type EvalCase,
  HOLDOUT_MARKER,
  isHoldoutPath,
  type LoadedCase,
  loadSuite,
} from './dataset.ts';
export { DatasetError, EvalsError, SummaryError } from './errors.ts';
export {
  assertResolvable,
  evaluateGate,
  type GateConfig,
  type GateOptions,
  type GateResult,
  gateConfigSchema,
  readGateConfig,
} from './gate.ts';
export { aggregate, RATE_METRICS } from './metrics/aggregate.ts';
export { MUTANTS, type Mutant, runMutationCheck, sampleCases } from './mutants.ts';
export { buildPowerRecord, type PowerRecord, readPowerRecord } from './power.ts';
export { ratchetBaseline } from './ratchet.ts';
export { renderHtml } from './report/html.ts';
export { renderMarkdown } from './report/markdown.ts';
export { runCases, scoreCase } from './runner.ts';
export { GATE_MODES, type GateMode, powerFigures } from './stats/power.ts';
export { serializeSummary, summarize } from './summarize.ts';
export { type CaseResult, readSummary, type Summary } from './summary.ts';
export { neutralControls, SLIGHT_MUTANTS, type Variant } from './variants.ts';
