#!/usr/bin/env node
// Exists before the build, so npm can link and chmod it at install time; the CLI itself is bundled into dist/bundle/
// (npm run build: scripts/bundle-cli.mjs).
import module from 'node:module';

// Start-up time is rescue time in the stop zone. Node 22+ caches compiled code between runs.
module.enableCompileCache?.();
// Node 21+ defines navigator; on 20, pg probes for Cloudflare Workers by building a Response, which loads
// undici (tens of ms) for nothing. Node's own value, as later versions set it.
globalThis.navigator ??= { userAgent: `Node.js/${process.versions.node.split('.')[0]}` };
// `freeze` has a bundle of its own, in one file: the shared CLI's chunks cost it ~10 ms.
await import(process.argv[2] === 'freeze' ? '../dist/bundle/freeze.js' : '../dist/bundle/main.js');
