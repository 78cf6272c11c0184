// centinela's version, from its package.json: one level above src/ (tsx), and above dist/ whether dist/ holds tsc's
// files or the bundle's (scripts/bundle.ts), so every module that shows the version asks this one.
import { createRequire } from 'node:module';

export const VERSION = (createRequire(import.meta.url)('../package.json') as { version: string }).version;
