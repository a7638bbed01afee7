// Worker threads start without the parent's TypeScript loader when Vigil runs from bin/vigil.js
// (which registers tsx through its API), so the worker registers it before loading the replica.
import { register } from 'tsx/esm/api';

register();
await import('./replica-worker.ts');
