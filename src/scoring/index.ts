/**
 * Scoring with a verified model bundle: in-process (`loadScoringModel`), over a labelled file
 * (`runEvaluateJob`) and streaming over a file of any size (`runPredictJob`).
 */
export { type EvaluateJobOptions, type EvaluateJobResult, runEvaluateJob } from './evaluate-job.js';
export { type PredictJobOptions, type PredictJobResult, runPredictJob } from './predict-job.js';
export { writeEvaluationReport } from './report.js';
export { loadScoringModel, type ScoringModel } from './scoring-model.js';
