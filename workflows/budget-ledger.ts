/**
 * A run's budget ledger: pure functions over an immutable state, held by runPipeline (workflows/budget.ts
 * installs the update handlers that call them), unit-tested without Temporal.
 *
 * Before each provider call a node asks for a reservation of the call's estimated cost. It is granted
 * when what was spent, plus what other calls hold, plus the estimate stays within the budget; otherwise it
 * is refused and the call is never made. Temporal runs a workflow's update handlers one at a time, so two
 * branches asking for the last dollar at once get one grant and one refusal. When the call returns, the
 * node settles its reservation with the actual cost (the difference goes back to the budget). A
 * reservation that is never settled (the worker died during the call) stays held at its estimate: the
 * money may have been spent.
 */

export interface BudgetReserveRequest {
  nodeId: string;
  attempt: number;
  /** The call's estimated cost: input tokens plus its maximum output tokens, at list prices. */
  estimateUsd: number;
  /** What the call is, for the record: "openai gpt-4o-mini chat". */
  call: string;
}

export type BudgetReserveAnswer =
  | { granted: true; reservationId: string; budgetUsd: number; remainingUsd: number }
  | { granted: false; budgetUsd: number; spentUsd: number; heldUsd: number; remainingUsd: number };

export interface BudgetSettleRequest {
  reservationId: string;
  /** What the call cost (its usage at list prices); the estimate when the call may have been charged but reported nothing. */
  costUsd: number;
}

export interface NodeBudget {
  /** Settled calls' actual cost. */
  spentUsd: number;
  /** Open reservations' estimates. */
  heldUsd: number;
  /** Reservations granted. */
  calls: number;
  /** Reservations refused. */
  refused: number;
}

export interface BudgetSummary {
  budgetUsd: number;
  spentUsd: number;
  heldUsd: number;
  /** budgetUsd - spentUsd - heldUsd (never below 0). */
  remainingUsd: number;
  nodes: Record<string, NodeBudget>;
}

export interface LedgerState {
  readonly budgetUsd: number;
  readonly spentUsd: number;
  readonly heldUsd: number;
  /** Reservations granted so far: the next id's number. */
  readonly granted: number;
  readonly open: Readonly<Record<string, { readonly nodeId: string; readonly estimateUsd: number }>>;
  readonly nodes: Readonly<Record<string, Readonly<NodeBudget>>>;
}

/** Nano-dollar precision, as the usage figures (engine/providers/usage.ts): sums lose their float noise. */
export function roundUsd(n: number): number {
  return Math.round(n * 1e9) / 1e9;
}

export function openLedger(budgetUsd: number): LedgerState {
  return { budgetUsd, spentUsd: 0, heldUsd: 0, granted: 0, open: {}, nodes: {} };
}

export function remainingUsd(state: LedgerState): number {
  return Math.max(0, roundUsd(state.budgetUsd - state.spentUsd - state.heldUsd));
}

/** Why a request cannot be handled at all (the update's validator refuses it; nothing is recorded). */
export function reserveProblem(request: BudgetReserveRequest): string | undefined {
  if (typeof request?.nodeId !== 'string' || !request.nodeId) return 'nodeId is required';
  if (typeof request.estimateUsd !== 'number' || !Number.isFinite(request.estimateUsd) || request.estimateUsd < 0) return 'estimateUsd must be a number >= 0';
  return undefined;
}

export function settleProblem(request: BudgetSettleRequest): string | undefined {
  if (typeof request?.reservationId !== 'string') return 'reservationId is required';
  if (typeof request.costUsd !== 'number' || !Number.isFinite(request.costUsd) || request.costUsd < 0) return 'costUsd must be a number >= 0';
  return undefined;
}

export function reserve(state: LedgerState, request: BudgetReserveRequest): { state: LedgerState; answer: BudgetReserveAnswer } {
  const node = state.nodes[request.nodeId] ?? { spentUsd: 0, heldUsd: 0, calls: 0, refused: 0 };
  const estimate = roundUsd(request.estimateUsd);
  if (roundUsd(state.spentUsd + state.heldUsd + estimate) > state.budgetUsd) {
    const refused = { ...state, nodes: { ...state.nodes, [request.nodeId]: { ...node, refused: node.refused + 1 } } };
    return {
      state: refused,
      answer: { granted: false, budgetUsd: state.budgetUsd, spentUsd: state.spentUsd, heldUsd: state.heldUsd, remainingUsd: remainingUsd(state) },
    };
  }
  const reservationId = `${request.nodeId}#${state.granted + 1}`;
  const next: LedgerState = {
    ...state,
    heldUsd: roundUsd(state.heldUsd + estimate),
    granted: state.granted + 1,
    open: { ...state.open, [reservationId]: { nodeId: request.nodeId, estimateUsd: estimate } },
    nodes: { ...state.nodes, [request.nodeId]: { ...node, heldUsd: roundUsd(node.heldUsd + estimate), calls: node.calls + 1 } },
  };
  return { state: next, answer: { granted: true, reservationId, budgetUsd: state.budgetUsd, remainingUsd: remainingUsd(next) } };
}

/** Replaces a reservation by the call's actual cost. Settling an unknown (or already settled) reservation changes nothing. */
export function settle(state: LedgerState, request: BudgetSettleRequest): LedgerState {
  const reservation = state.open[request.reservationId];
  if (!reservation) return state;
  const { [request.reservationId]: _settled, ...open } = state.open;
  const cost = roundUsd(request.costUsd);
  const node = state.nodes[reservation.nodeId];
  return {
    ...state,
    spentUsd: roundUsd(state.spentUsd + cost),
    heldUsd: roundUsd(state.heldUsd - reservation.estimateUsd),
    open,
    nodes: {
      ...state.nodes,
      [reservation.nodeId]: { ...node, spentUsd: roundUsd(node.spentUsd + cost), heldUsd: roundUsd(node.heldUsd - reservation.estimateUsd) },
    },
  };
}

export function summary(state: LedgerState): BudgetSummary {
  return { budgetUsd: state.budgetUsd, spentUsd: state.spentUsd, heldUsd: state.heldUsd, remainingUsd: remainingUsd(state), nodes: { ...state.nodes } };
}
