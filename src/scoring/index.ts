/**
 * Scoring with a verified model bundle: in-process (`loadScoringModel`, on onnxruntime or TF.js),
 * over a labelled file (`runEvaluateJob`) and streaming over a file of any size (`runPredictJob`);
 * exporting a bundle's networks as ONNX (`runExportJob`) and wrapping an external ONNX model in
 * a bundle (`runImportOnnxJob`); scoring live transactions one at a time with a spec bundle
 * (`OnlineScorer`).
 */
export { type EvaluateJobOptions, type EvaluateJobResult, runEvaluateJob } from './evaluate-job.js';
export {
  DEFAULT_ONNX_FILE,
  type ExportedFile,
  type ExportJobOptions,
  type ExportJobResult,
  runExportJob,
} from './export-onnx-job.js';
export {
  IMPORTED_ONNX_FILE,
  IMPORTED_TARGET_COLUMN,
  type ImportOnnxJobOptions,
  type ImportOnnxJobResult,
  runImportOnnxJob,
} from './import-onnx-job.js';
export {
  IMPORTED_MODEL_KIND,
  IMPORTED_OUTPUTS,
  type ImportedOnnxParams,
  type ImportedOutput,
  type PassthroughState,
} from './imported-onnx-model.js';
export {
  type EventScore,
  OnlineScorer,
  type OnlineStateOptions,
  type ScoringTimings,
  type ShadowScore,
} from './online-scorer.js';
export { type PredictJobOptions, type PredictJobResult, runPredictJob } from './predict-job.js';
export { writeEvaluationReport } from './report.js';
export {
  type LoadScoringModelOptions,
  loadScoringModel,
  SCORING_ENGINES,
  type ScoringEngine,
  type ScoringModel,
} from './scoring-model.js';
export {
  DECISIONS,
  DEFAULT_REVIEW_FRACTION,
  type Decision,
  type DecisionBands,
  decide,
  decisionBands,
  type OnlineScorerOptions,
  SpecModel,
} from './spec-model.js';
