/**
 * A part of `npm run bench`: one measurement that can run on its own (`npm run bench -- <id>`) and writes
 * its own block of docs/benchmarks.md, with the issue-15 goals it checks.
 */
import type { FakeProviders } from '../test/support/fake-provider-server.ts';
import type { BenchEnv } from './env.ts';

export interface Goal {
  goal: string;
  measured: string;
  met: boolean;
}

export interface PartResult {
  /** Markdown: what was measured and the tables. */
  body: string;
  goals: Goal[];
}

export interface PartContext {
  log(message: string): void;
  /** The in-process world (embedded server, Tessera and bare workers), started on first use. */
  env(): Promise<BenchEnv>;
  /** The tests' fake AI provider server, which the in-process Tessera worker's providers talk to. */
  fake: FakeProviders;
}

export interface Part {
  id: string;
  title: string;
  /** About how long it takes, for the progress log. */
  minutes: number;
  /** Runs on the in-process world (`ctx.env()`); the others start processes of their own. */
  usesEnv: boolean;
  /** Not part of the default run (an investigation): runs only when named. */
  optional?: boolean;
  run(ctx: PartContext): Promise<PartResult>;
}

export const check = (ok: boolean, what: string): void => {
  if (!ok) throw new Error(`a benchmark run returned a wrong result: ${what}`);
};
