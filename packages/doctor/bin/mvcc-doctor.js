#!/usr/bin/env node
// Exists before the build, so npm can link and chmod it at install time; the CLI itself is compiled to dist/.
await import('../dist/cli/main.js');
