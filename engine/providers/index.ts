/**
 * The providers a worker has, built from the environment and an optional providers file.
 *
 *   openai      OPENAI_API_KEY and/or OPENAI_BASE_URL (also OPENAI_ORG_ID, OPENAI_PROJECT_ID)
 *   anthropic   ANTHROPIC_API_KEY and/or ANTHROPIC_BASE_URL
 *   compatible  TESSERA_COMPATIBLE_BASE_URL (+ optional TESSERA_COMPATIBLE_API_KEY): Ollama, vLLM, ...
 *   <name>      entries of the JSON file named by TESSERA_PROVIDERS_FILE (they win over the above)
 *   extra       providers built in code (local tesseract OCR, test doubles)
 *
 * The standard variables are read here and passed to the SDKs explicitly, so the `env` argument is
 * the whole truth (tests pass their own). Keys are only ever referenced by variable name in files.
 */
import { hostname } from 'node:os';
import { readFileSync } from 'node:fs';
import { z } from 'zod';
import { NodeError } from '../node-sdk/define-node.ts';
import { AnthropicProvider } from './anthropic.ts';
import { OpenAIProvider } from './openai.ts';
import type { Capability, Provider, Providers } from './types.ts';

type Env = Record<string, string | undefined>;

const ProviderEntry = z.strictObject({
  type: z.enum(['openai', 'anthropic', 'openai-compatible']),
  baseURL: z.url().optional(),
  /** Name of the environment variable holding the key; the key itself never goes in the file. */
  apiKeyEnv: z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'must be an environment variable name, not a key').optional(),
  imageEmbeddingModels: z.array(z.string()).optional(),
  maxEmbedBatch: z.number().int().positive().optional(),
  timeoutMs: z.number().int().positive().optional(),
  /** Vendor in prices.json that bills this provider (e.g. "openai" for a proxy in front of OpenAI). */
  pricing: z.string().optional(),
});
const ProvidersFile = z.strictObject({
  $schema: z.string().optional(),
  providers: z.record(z.string(), ProviderEntry),
});
export type ProviderFileEntry = z.infer<typeof ProviderEntry>;

/** The providers file cannot be used; the worker should not start. */
export class ProvidersConfigError extends Error {
  readonly code = 'PROVIDERS_CONFIG_INVALID';
  constructor(message: string) {
    super(message);
    this.name = 'ProvidersConfigError';
  }
}

/** A provider that is known but cannot be used yet, and what to set to use it. */
interface Missing {
  hint: string;
}

export function createProviders(env: Env = process.env, configFile: string | undefined = env.TESSERA_PROVIDERS_FILE, extra: readonly Provider[] = []): Providers {
  const available = new Map<string, Provider>();
  const missing = new Map<string, Missing>();
  const timeoutMs = positiveInt(env.TESSERA_PROVIDER_TIMEOUT_MS);

  if (env.OPENAI_API_KEY || env.OPENAI_BASE_URL) {
    available.set('openai', new OpenAIProvider({
      name: 'openai', apiKey: env.OPENAI_API_KEY, baseURL: env.OPENAI_BASE_URL, timeoutMs, organization: env.OPENAI_ORG_ID, project: env.OPENAI_PROJECT_ID,
      // A base URL without a key is a local or proxy server: its prices are not OpenAI's.
      pricing: env.OPENAI_API_KEY ? 'openai' : undefined,
    }));
  } else missing.set('openai', { hint: 'set OPENAI_API_KEY (or OPENAI_BASE_URL for an OpenAI-compatible server)' });

  if (env.ANTHROPIC_API_KEY || env.ANTHROPIC_BASE_URL) {
    available.set('anthropic', new AnthropicProvider({
      name: 'anthropic', apiKey: env.ANTHROPIC_API_KEY, baseURL: env.ANTHROPIC_BASE_URL, timeoutMs, pricing: env.ANTHROPIC_API_KEY ? 'anthropic' : undefined,
    }));
  } else missing.set('anthropic', { hint: 'set ANTHROPIC_API_KEY' });

  if (env.TESSERA_COMPATIBLE_BASE_URL) {
    available.set('compatible', new OpenAIProvider({
      name: 'compatible', apiKey: env.TESSERA_COMPATIBLE_API_KEY, baseURL: env.TESSERA_COMPATIBLE_BASE_URL, timeoutMs, dialect: 'compatible',
      imageEmbeddingModels: list(env.TESSERA_COMPATIBLE_IMAGE_EMBEDDING_MODELS),
    }));
  } else missing.set('compatible', { hint: 'set TESSERA_COMPATIBLE_BASE_URL (and TESSERA_COMPATIBLE_API_KEY if the server wants a key)' });

  if (configFile) {
    for (const [name, entry] of Object.entries(readProvidersFile(configFile))) {
      available.delete(name);
      missing.delete(name);
      const apiKey = entry.apiKeyEnv ? env[entry.apiKeyEnv] : undefined;
      if (entry.apiKeyEnv && !apiKey) missing.set(name, { hint: `set ${entry.apiKeyEnv} (named by apiKeyEnv in ${configFile})` });
      else available.set(name, fromEntry(name, entry, apiKey, timeoutMs));
    }
  }

  for (const provider of extra) {
    if (available.has(provider.name)) throw new ProvidersConfigError(`Provider "${provider.name}" is configured twice (an extra provider has the same name).`);
    available.set(provider.name, provider);
    missing.delete(provider.name);
  }
  return providerSet(available, missing);
}

/** Reads and validates a providers file; every problem is reported with its path in the file. */
export function readProvidersFile(path: string): Record<string, ProviderFileEntry> {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (err) {
    throw new ProvidersConfigError(`Cannot read the providers file ${path} (TESSERA_PROVIDERS_FILE): ${(err as NodeJS.ErrnoException).code ?? (err as Error).message}.`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ProvidersConfigError(`The providers file ${path} is not valid JSON: ${(err as Error).message}.`);
  }
  const parsed = ProvidersFile.safeParse(json);
  if (!parsed.success) {
    const problems = parsed.error.issues.map((i) => `${i.path.join('.') || '(top level)'}: ${i.message}`).join('; ');
    throw new ProvidersConfigError(`The providers file ${path} is invalid: ${problems}. Expected { "providers": { "<name>": { "type": "openai" | "anthropic" | "openai-compatible", "baseURL", "apiKeyEnv", ... } } }.`);
  }
  for (const [name, entry] of Object.entries(parsed.data.providers)) {
    if (!/^[a-z][a-z0-9_-]*$/.test(name)) throw new ProvidersConfigError(`The providers file ${path} is invalid: provider name "${name}" must be lower-case letters, digits, "-" or "_".`);
    if (entry.type === 'openai-compatible' && !entry.baseURL) throw new ProvidersConfigError(`The providers file ${path} is invalid: providers.${name}.baseURL is required for type "openai-compatible".`);
  }
  return parsed.data.providers;
}

function fromEntry(name: string, entry: ProviderFileEntry, apiKey: string | undefined, timeoutMs: number | undefined): Provider {
  const common = { name, apiKey, baseURL: entry.baseURL, timeoutMs: entry.timeoutMs ?? timeoutMs, pricing: entry.pricing };
  if (entry.type === 'anthropic') return new AnthropicProvider(common);
  return new OpenAIProvider({
    ...common,
    dialect: entry.type === 'openai' ? 'openai' : 'compatible',
    imageEmbeddingModels: entry.imageEmbeddingModels,
    maxEmbedBatch: entry.maxEmbedBatch,
  });
}

function providerSet(available: Map<string, Provider>, missing: Map<string, Missing>): Providers {
  return {
    names: () => [...available.keys()].sort(),
    offers: (name, capability) => Boolean(available.get(name)?.[capability]),
    pricing: (name) => available.get(name)?.pricing,
    require<C extends Capability>(name: string, capability: C): NonNullable<Provider[C]> {
      const provider = available.get(name);
      if (!provider) {
        const known = available.size ? ` Configured: ${[...available.keys()].sort().join(', ')}.` : ' No provider is configured.';
        const hint = missing.get(name)?.hint ?? 'add it to the providers file named by TESSERA_PROVIDERS_FILE';
        // Name the worker: with several workers on a queue, the one that lacked the key is not obviously the user's.
        throw new NodeError(
          'PROVIDER_NOT_CONFIGURED',
          `Provider "${name}" is not configured on the worker that ran this node (${workerName()}): ${hint} in that worker's environment and restart it.${known}`,
          { retryable: false, details: { provider: name, worker: workerName() } },
        );
      }
      const found = provider[capability];
      if (!found) {
        const offers = (['chat', 'structured', 'transcribe', 'embed', 'ocr'] as const).filter((c) => provider[c]);
        throw new NodeError('CAPABILITY_UNSUPPORTED', `Provider "${name}" cannot ${capability} (it offers: ${offers.join(', ') || 'nothing'}).`, {
          retryable: false,
          details: { provider: name, capability },
        });
      }
      return found as NonNullable<Provider[C]>;
    },
  };
}

function positiveInt(value: string | undefined): number | undefined {
  const n = Number(value);
  return value && Number.isInteger(n) && n > 0 ? n : undefined;
}

function list(value: string | undefined): string[] | undefined {
  return value ? value.split(',').map((s) => s.trim()).filter(Boolean) : undefined;
}

/** The worker process as a person can find it: pid, host and command. */
function workerName(): string {
  const command = process.argv.slice(2).find((a) => !a.startsWith('-')) ?? 'node';
  return `pid ${process.pid} on ${hostname()}, "tessera ${command}"`;
}
