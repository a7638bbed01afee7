// The state snapshot worker's entry point. Vigil runs its TypeScript sources through tsx; a worker
// thread does not inherit the loader `vigil` registers (nor, on Node 20, one given by `--import
// tsx`), so it registers its own before loading the worker's code.
import { register } from 'tsx/esm/api';

register();
await import('./snapshot-worker.ts');
