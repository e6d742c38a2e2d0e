// The one contract: every call the renderer, the CLI and the bridge can make. Pure TS + zod.
import type { z } from 'zod';
import type { CallSpec } from './define';
import { auditCalls } from './audit';
import { embedCalls } from './embed';
import { evaluateCalls } from './evaluate';
import { hardwareCalls } from './hardware';
import { incidentsCalls } from './incidents';
import { inferenceCalls } from './inference';
import { jobsCalls } from './jobs';
import { healthCalls } from './health';
import { monitoringCalls } from './monitoring';
import { modeCalls } from './mode';
import { qualityCalls } from './quality';
import { registryCalls } from './registry';
import { scanCalls } from './scan';
import { signingCalls } from './signing';

export const contract = {
  ...jobsCalls,
  ...registryCalls,
  ...hardwareCalls,
  ...inferenceCalls,
  ...monitoringCalls,
  ...auditCalls,
  ...scanCalls,
  ...incidentsCalls,
  ...signingCalls,
  ...embedCalls,
  ...evaluateCalls,
  ...qualityCalls,
  ...modeCalls,
  ...healthCalls,
} satisfies Record<string, CallSpec>;

export type Contract = typeof contract;
export type Method = keyof Contract;
export type Input<M extends Method> = z.input<Contract[M]['input']>;
export type Output<M extends Method> = z.output<Contract[M]['output']>;
export const isMethod = (m: string): m is Method => Object.hasOwn(contract, m);

export * from './define';
export * from './events';
