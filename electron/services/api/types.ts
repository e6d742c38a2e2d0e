import type { z } from 'zod';
import type { CallSpec } from '../../contract/define';
import type { AppContext } from '../AppContext';

/** A handler gets the parsed input (defaults applied) and returns the call's output shape. */
export type HandlersFor<C extends Record<string, CallSpec>> = {
  [K in keyof C]: (input: z.output<C[K]['input']>, ctx: AppContext) => Promise<z.input<C[K]['output']>> | z.input<C[K]['output']>;
};
