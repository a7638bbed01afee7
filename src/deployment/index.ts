/**
 * Model deployment for the risk service (docs/service.md, "Models"): a champion that decides and
 * shadows that score beside it, recorded in the store and restored on restart.
 */
export {
  DEPLOYMENT_ERROR_CODES,
  DeploymentError,
  ModelDeployments,
  type ModelDeploymentsOptions,
  type ModelInfo,
} from './model-deployments.js';
