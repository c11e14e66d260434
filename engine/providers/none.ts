import { NodeError } from '../node-sdk/define-node.ts';
import type { Providers } from './types.ts';

/** The provider set of a worker with no providers configured: every request fails clearly. */
export const noProviders: Providers = {
  names: () => [],
  offers: () => false,
  require(name) {
    throw new NodeError('PROVIDER_NOT_CONFIGURED', `Provider "${name}" is not configured on this worker.`);
  },
};
