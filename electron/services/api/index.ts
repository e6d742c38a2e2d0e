import { ZodError } from 'zod';
import { contract, isMethod, type Method, type Output, type ApiErrorShape } from '../../contract/index';
import type { AppContext } from '../AppContext';
import { formatZod, HallmarkError } from '../errors';
import type { HandlersFor } from './types';
import { auditHandlers } from './audit';
import { embedHandlers } from './embed';
import { evaluateHandlers } from './evaluate';
import { hardwareHandlers } from './hardware';
import { incidentsHandlers } from './incidents';
import { inferenceHandlers } from './inference';
import { jobsHandlers } from './jobs';
import { healthHandlers } from './health';
import { monitoringHandlers } from './monitoring';
import { modeHandlers } from './mode';
import { qualityHandlers } from './quality';
import { registryHandlers } from './registry';
import { scanHandlers } from './scan';
import { signingHandlers } from './signing';

export const handlers: HandlersFor<typeof contract> = {
  ...jobsHandlers,
  ...registryHandlers,
  ...hardwareHandlers,
  ...inferenceHandlers,
  ...monitoringHandlers,
  ...auditHandlers,
  ...scanHandlers,
  ...incidentsHandlers,
  ...signingHandlers,
  ...embedHandlers,
  ...evaluateHandlers,
  ...qualityHandlers,
  ...modeHandlers,
  ...healthHandlers,
};

/**
 * The single entry for IPC, the bridge and tests: validates the method name and the input
 * against the contract, runs the handler, and validates the output (a wrong shape is our bug).
 */
export async function dispatch<M extends Method>(ctx: AppContext, method: string, rawInput: unknown): Promise<Output<M>> {
  if (!isMethod(method)) throw new HallmarkError('unknown_method', `unknown method ${JSON.stringify(method)}`);
  const spec = contract[method];
  const parsed = spec.input.safeParse(rawInput ?? undefined);
  if (!parsed.success) throw new HallmarkError('invalid_input', `invalid input for ${method}: ${formatZod(parsed.error)}`, parsed.error.issues);
  const handler = handlers[method] as (i: unknown, c: AppContext) => unknown;
  const out = await handler(parsed.data, ctx);
  return spec.output.parse(out) as Output<M>;
}

export { formatZod };

export function toApiError(e: unknown): ApiErrorShape {
  if (e instanceof HallmarkError) return { code: e.code, message: e.message, ...(e.details === undefined ? {} : { details: e.details }) };
  if (e instanceof ZodError) return { code: 'invalid_output', message: formatZod(e) };
  const err = e as NodeJS.ErrnoException;
  if (err && typeof err.code === 'string' && typeof err.message === 'string') return { code: err.code.toLowerCase(), message: err.message };
  return { code: 'internal', message: e instanceof Error ? e.message : String(e) };
}
