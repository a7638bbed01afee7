#!/usr/bin/env node
// Vigil ships TypeScript sources and runs them through tsx, so there is no build step between
// `npm install` and `npx vigil`.
import { register } from 'tsx/esm/api';

register();
const { main } = await import('../src/cli/main.ts');
process.exitCode = await main(process.argv);
