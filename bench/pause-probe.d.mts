/** Starts probing this process's main thread; lines go to `dir/role-pid.jsonl` (bench/pause-probe.mjs). */
export function startPauseProbe(dir: string, role: string): void;
