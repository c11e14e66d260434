import { register } from 'node:module';
register('./load-recorder.mjs', import.meta.url);
