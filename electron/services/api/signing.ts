import type { signingCalls } from '../../contract/signing';
import { HallmarkError } from '../errors';
import { loadCheck } from '../signing/store';
import { changed } from './changed';
import type { HandlersFor } from './types';

/** The signing code (and @sigstore) loads on the first signature call, not with the API. */
const versions = () => import('../signing/versions');

export const signingHandlers: HandlersFor<typeof signingCalls> = {
  'signature.get': ({ name, version }, ctx) => loadCheck(ctx.db, ctx.registry.versionRow(name, version).id),
  'signature.verify': async ({ name, version, ...trust }, ctx) => {
    const kinds = [trust.key, trust.certificateChain, trust.identity || trust.issuer || trust.trustedRoot].filter(Boolean);
    if (kinds.length > 1) throw new HallmarkError('invalid_input', 'give one kind of trust: a public key, a CA certificate file, or a Sigstore identity and issuer');
    const check = await (await versions()).verifyVersionSignature(ctx, name, version, trust);
    if (!check) throw new HallmarkError('no_signature', `${name}@${version} has no signature: sign it, or import it with its model.sig`);
    return changed(ctx, check);
  },
  'signature.sign': async ({ name, version, key, out }, ctx) => {
    const { signVersion } = await versions();
    const result = await ctx.jobs.run({ kind: 'sign', title: `Sign ${name}@${version}` }, (job) => signVersion(ctx, name, version, key, { out }, job));
    return changed(ctx, result);
  },
};
