// Calls of the run/monitoring/audit and scan/inspect contracts under their features' names, typed from
// their own contract files.
import type { z } from 'zod';
import type { runCalls } from '../../../electron/contract/run';
import type { scanCalls } from '../../../electron/contract/scan';
import { callAny } from './client';

type RunContract = typeof runCalls;
export type RunMethod = keyof RunContract;
export type RunInput<M extends RunMethod> = z.input<RunContract[M]['input']>;
export type RunOutput<M extends RunMethod> = z.output<RunContract[M]['output']>;

export async function callRun<M extends RunMethod>(method: M, input: RunInput<M>): Promise<RunOutput<M>> {
  return (await callAny(method, input)) as RunOutput<M>;
}

type ScanContract = typeof scanCalls;
export type ScanMethod = keyof ScanContract;
export type ScanInput<M extends ScanMethod> = z.input<ScanContract[M]['input']>;
export type ScanOutput<M extends ScanMethod> = z.output<ScanContract[M]['output']>;

export async function callScan<M extends ScanMethod>(method: M, input: ScanInput<M>): Promise<ScanOutput<M>> {
  return (await callAny(method, input)) as ScanOutput<M>;
}
