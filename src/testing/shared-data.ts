import { fileURLToPath } from 'node:url';

/**
 * The shared real data sets (see ../shared/data/SOURCE.md), which sit beside the repository
 * checkout. `VIGIL_SHARED_DATA` points elsewhere when they live somewhere else. Tests only.
 */
export const SHARED_DATA: string =
  process.env.VIGIL_SHARED_DATA ?? fileURLToPath(new URL('../../../shared/data', import.meta.url));
