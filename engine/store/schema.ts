/**
 * The store's tables as Kysely sees them, one description for SQLite and PostgreSQL. The values are what
 * the store reads back once the drivers are normalised (pg-store.ts sets pg's type parsers): timestamps
 * and JSON as strings, sequences and counts as numbers. The one type that differs by database is a
 * boolean, written and read as 0/1 on SQLite and true/false on PostgreSQL (rows.ts reads both).
 */
import type { ColumnType, Generated } from 'kysely';

/** Which SQL database a store runs on: the few statements that differ branch on it. */
export type SqlDialect = 'sqlite' | 'postgres';

/** ISO-8601 text on SQLite, timestamptz on PostgreSQL: written and read back as ISO strings in UTC. */
type Timestamp = string;
/** JSON text: `text` on SQLite, `json` on PostgreSQL (kept as written: key order, no jsonb rewriting). */
type Json = string;
type Bool = ColumnType<number | boolean, number | boolean, number | boolean>;

export interface PipelinesTable {
  seq: Generated<number>;
  id: string;
  name: string;
  description: string | null;
  latest_version: number;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface PipelineVersionsTable {
  pipeline_id: string;
  version: number;
  document: Json;
  created_at: Timestamp;
}

export interface RunsTable {
  id: string;
  pipeline_id: string;
  pipeline_version: number;
  pipeline_name: string;
  status: string;
  trigger_type: string;
  trigger_id: string | null;
  inputs: Json;
  outputs: Json | null;
  error: Json | null;
  nodes: Json;
  usage: Json | null;
  started_at: Timestamp;
  ended_at: Timestamp | null;
}

export interface RunEventsTable {
  seq: Generated<number>;
  run_id: string;
  type: string;
  data: Json;
  at: Timestamp;
}

export interface RunNodeOutputsTable {
  run_id: string;
  node_id: string;
  outputs: Json;
}

export interface NodeCacheTable {
  key: string;
  type: string;
  entry: Json;
  bytes: number;
  used_at: Timestamp;
}

export interface ApiKeysTable {
  id: string;
  name: string;
  prefix: string;
  hash: string;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
  last_used_at: Timestamp | null;
}

export interface SchedulesTable {
  id: string;
  pipeline_id: string;
  pipeline_version: number | null;
  spec: Json;
  overlap: string;
  inputs: Json;
  paused: Bool;
  note: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}

export interface WebhooksTable {
  id: string;
  pipeline_id: string;
  pipeline_version: number | null;
  token_hash: string;
  sealed_secret: string | null;
  created_at: Timestamp;
  revoked_at: Timestamp | null;
}

/** Leases on following active runs (migration 5). */
export interface RunFollowersTable {
  run_id: string;
  owner: string;
  /** Epoch milliseconds (a string from pg's bigint). */
  expires_at: number | string;
}

export interface StoreDatabase {
  pipelines: PipelinesTable;
  pipeline_versions: PipelineVersionsTable;
  runs: RunsTable;
  run_events: RunEventsTable;
  run_node_outputs: RunNodeOutputsTable;
  node_cache: NodeCacheTable;
  run_followers: RunFollowersTable;
  api_keys: ApiKeysTable;
  schedules: SchedulesTable;
  webhooks: WebhooksTable;
}
