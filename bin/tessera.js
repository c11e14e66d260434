#!/usr/bin/env node
// Tessera is written in TypeScript and run through tsx, so there is no build step to forget.
import { register } from 'tsx/esm/api';

register();
await import('../engine/cli/main.ts');
