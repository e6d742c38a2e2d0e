import { z } from 'zod';

/** One typed call: the zod schemas for what goes in and what comes out. */
export interface CallSpec<I extends z.ZodType = z.ZodType, O extends z.ZodType = z.ZodType> {
  input: I;
  output: O;
  /** Calls that only read; the bridge may cache nothing, but the UI may retry them freely. */
  readonly?: boolean;
}

export function call<I extends z.ZodType, O extends z.ZodType>(input: I, output: O, opts: { readonly?: boolean } = {}): CallSpec<I, O> {
  return { input, output, ...opts };
}

/** A structured error that crosses IPC/HTTP: a stable code and a message quoting the bad value. */
export const ApiErrorSchema = z.object({
  code: z.string(),
  message: z.string(),
  details: z.unknown().optional(),
});
export type ApiErrorShape = z.infer<typeof ApiErrorSchema>;

/** What a call answers over IPC and HTTP (and a browser upload): its result, or a structured error. */
export const CallResultSchema = z.discriminatedUnion('ok', [
  z.object({ ok: z.literal(true), result: z.unknown() }),
  z.object({ ok: z.literal(false), error: ApiErrorSchema }),
]);
export type CallResult = z.infer<typeof CallResultSchema>;
