import { createTfjsRunner, type NetworkRunner, type NetworkRunnerFactory } from '../engine/index.js';
import type { EstimatorNetwork, NetworkEstimator, Task } from './estimator.js';
import { FittedEstimator, type FittedShape } from './fitted-estimator.js';

/**
 * An estimator that scores with exactly one network (mlp, the sequence classifiers, the
 * autoencoder): it keeps one runner (TF.js until `useNetworkRunners` says otherwise), made on
 * first use and dropped whenever the weights change, so a model scores many batches without
 * rebuilding its weight tensors and never holds two runners.
 */
export abstract class SingleNetworkEstimator<P extends { task?: Task }, S extends FittedShape>
  extends FittedEstimator<P, S>
  implements NetworkEstimator
{
  private runner: NetworkRunner | undefined;

  /** The fitted network with a copy of its weights. */
  protected abstract fittedNetwork(state: S): EstimatorNetwork;

  /** The network this model runs, for export (ONNX) and alternative runtimes. */
  networks(): EstimatorNetwork[] {
    return [this.fittedNetwork(this.fitted())];
  }

  /** Scores through runners from `factory` from now on (e.g. ONNX Runtime); TF.js is the default. */
  async useNetworkRunners(factory: NetworkRunnerFactory): Promise<void> {
    const network = this.fittedNetwork(this.fitted());
    const runner = await factory(network.spec, network.weights);
    this.disposeRunner();
    this.runner = runner;
  }

  /** Frees the runtime resources of the current runner (the model stays usable and makes a new one on demand). */
  disposeRunner(): void {
    this.runner?.dispose();
    this.runner = undefined;
  }

  /** Raw network outputs for `nRows` rows already in the network's input layout. */
  protected async runNetwork(x: Float32Array, nRows: number): Promise<Float32Array> {
    if (this.runner === undefined) {
      const network = this.fittedNetwork(this.fitted());
      this.runner = await createTfjsRunner(network.spec, network.weights);
    }
    return this.runner.run(x, nRows);
  }
}
