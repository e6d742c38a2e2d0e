import { Fragment, useState } from 'react';
import type { VersionDetail } from '../../../electron/contract/registry';
import type { SignatureCheck } from '../../../electron/contract/signing';
import { api } from '../api/client';
import { ErrorBanner } from '../components/ErrorBanner';
import { errorText, fmtDate } from '../lib/format';
import { useAsync } from '../lib/useAsync';
import { useApp } from '../store/appStore';

type Status = SignatureCheck['status'];

const LABEL: Record<Status, string> = { valid: 'signed · valid', invalid: 'signature INVALID', unverified: 'signed · not verified', unsigned: 'unsigned' };
const SHORT: Record<Status, string> = { valid: 'valid', invalid: 'INVALID', unverified: 'not verified', unsigned: 'unsigned' };
const HELP: Record<Status, string> = {
  valid: 'the signature checks against the key, CA or identity given, and covers exactly these files',
  invalid: 'the signature does not hold or does not match the files: do not trust this version as its publisher\'s',
  unverified: 'a signature is there and matches the files, but who signed it was not checked: give the public key or CA',
  unsigned: 'no OpenSSF model-signing signature (model.sig) was found for this version',
};

/** A signature status as a badge: danger for invalid, calm for valid, muted for unsigned. */
export function SignatureBadge({ status, short = false }: { status: Status; short?: boolean }) {
  return <span className={`badge sig-${status}`} title={HELP[status]}>{short ? SHORT[status] : LABEL[status]}</span>;
}

function Files({ check }: { check: SignatureCheck }) {
  const f = check.files;
  if (!f.missing.length && !f.extra.length && !f.mismatched.length) return null;
  return (
    <ul className="sig-files" aria-label="Files that do not match the signature">
      {f.mismatched.map((m) => <li key={`c-${m.path}`}><span className="badge sig-invalid">changed</span> <code>{m.path}</code> <span className="muted">expected {m.algorithm} {m.expected.slice(0, 16)}…, got {m.actual.slice(0, 24)}</span></li>)}
      {f.missing.map((p) => <li key={`m-${p}`}><span className="badge sig-invalid">missing</span> <code>{p}</code></li>)}
      {f.extra.map((p) => <li key={`e-${p}`}><span className="badge sig-invalid">not signed</span> <code>{p}</code></li>)}
    </ul>
  );
}

/**
 * The Signature card of the Security tab: the last check (signer, issuer, method, files that differ),
 * verifying with a public key / CA file / Sigstore identity, and signing with a private key. Paths are typed:
 * the same panel works in browser mode, where the bridge reads files on the machine it runs on.
 */
export function SignaturePanel({ version }: { version: VersionDetail }) {
  const ref = { name: version.model, version: version.version };
  const gen = useApp((s) => s.registryGen);
  const [n, setN] = useState(0);
  const stored = useAsync(() => api.call('signature.get', ref), `${version.model}@${version.version}`, gen + n);
  const [mode, setMode] = useState<'key' | 'certificate' | 'sigstore'>('key');
  const [trust, setTrust] = useState('');
  const [issuer, setIssuer] = useState('');
  const [signKey, setSignKey] = useState('');
  const [busy, setBusy] = useState<'verify' | 'sign' | null>(null);
  const [error, setError] = useState<string | null>(null);
  const [last, setLast] = useState<SignatureCheck | null>(null);

  const check = last ?? stored.data?.check ?? null;
  const status: Status = check?.status ?? stored.data?.summary?.status ?? 'unsigned';

  const run = async (what: 'verify' | 'sign') => {
    setError(null);
    setBusy(what);
    try {
      if (what === 'sign') {
        const r = await api.call('signature.sign', { ...ref, key: signKey.trim() });
        setLast(r.check);
      } else {
        const t = trust.trim();
        const input = mode === 'key' ? { key: t } : mode === 'certificate' ? { certificateChain: t } : { identity: t, issuer: issuer.trim() };
        setLast(await api.call('signature.verify', { ...ref, ...input }));
      }
      setN((x) => x + 1);
    } catch (e) {
      setError(errorText(e));
    } finally {
      setBusy(null);
    }
  };

  return (
    <section className={`card signature-card sig-card-${status}`} aria-label="Signature">
      <div className="toolbar">
        <h3 className="inline-h">Signature</h3>
        <SignatureBadge status={status} />
        {check?.method ? <span className="muted">{check.method === 'sigstore' ? 'Sigstore keyless' : check.method === 'key' ? 'key' : 'certificate'}</span> : null}
      </div>
      {stored.error ? <ErrorBanner title="Could not read the signature status" error={stored.error} onRetry={stored.reload} /> : null}
      {status === 'invalid' && check?.reason ? <div className="banner error" role="alert"><strong>Signature invalid.</strong> {check.reason}</div> : null}
      {status === 'unsigned' ? <p className="muted">No signature for v{version.version}. Sign it with your EC private key below, or import the model together with its <code>model.sig</code> (OpenSSF model signing).</p> : null}
      {check && status !== 'unsigned' ? (
        <dl className="sig-props">
          <dt>Signer</dt><dd>{check.signer ?? <span className="muted">unknown</span>}</dd>
          {check.issuer ? <><dt>Issuer</dt><dd>{check.issuer}</dd></> : null}
          <dt>Checked</dt><dd>{fmtDate(check.checkedAt)}</dd>
          <dt>Covers</dt><dd>{check.resources} {check.serialization?.method === 'shards' ? 'shards' : 'files'} ({check.serialization?.hashType ?? '—'}){check.hashedBytes === 0 && check.resources ? <span className="muted"> · registry digests reused</span> : null}</dd>
          {status === 'unverified' && check.reason ? <><dt>Note</dt><dd>{check.reason}</dd></> : null}
          {check.warnings.filter((w) => w !== check.reason).map((w) => <Fragment key={w}><dt>Note</dt><dd>{w}</dd></Fragment>)}
        </dl>
      ) : null}
      {check ? <Files check={check} /> : null}
      <form className="sig-form" onSubmit={(e) => { e.preventDefault(); void run('verify'); }}>
        <label>Verify with
          <select value={mode} onChange={(e) => setMode(e.target.value as typeof mode)} aria-label="Trust to verify with">
            <option value="key">public key (PEM)</option>
            <option value="certificate">CA certificates (PEM)</option>
            <option value="sigstore">Sigstore identity</option>
          </select>
        </label>
        <input aria-label={mode === 'sigstore' ? 'Signer identity (e-mail or URI)' : 'Path to the PEM file'} placeholder={mode === 'sigstore' ? 'releases@example.com' : '/path/to/key.pub.pem'} value={trust} onChange={(e) => setTrust(e.target.value)} />
        {mode === 'sigstore' ? <input aria-label="OIDC issuer" placeholder="https://accounts.google.com" value={issuer} onChange={(e) => setIssuer(e.target.value)} /> : null}
        <button type="submit" disabled={busy !== null || !trust.trim() || (mode === 'sigstore' && !issuer.trim())}>{busy === 'verify' ? 'Verifying…' : 'Verify'}</button>
      </form>
      <form className="sig-form" onSubmit={(e) => { e.preventDefault(); void run('sign'); }}>
        <label htmlFor={`sign-key-${version.id}`}>Sign with private key</label>
        <input id={`sign-key-${version.id}`} placeholder="/path/to/ec-private-key.pem" value={signKey} onChange={(e) => setSignKey(e.target.value)} />
        <button type="submit" className="primary" disabled={busy !== null || !signKey.trim()}>{busy === 'sign' ? 'Signing…' : status === 'unsigned' ? 'Sign' : 'Sign again'}</button>
      </form>
      <p className="muted small-print">{version.storage === 'in_place' ? `Signing writes model.sig into ${version.sourcePath ?? 'the model folder'}.` : 'Signing stores model.sig with this version (its files stay unchanged); exports include it.'} EC P-256/P-384 keys, as <code>model_signing sign key</code>.</p>
      {error ? <ErrorBanner title={busy === 'sign' ? 'Signing failed' : 'Could not check the signature'} error={error} /> : null}
    </section>
  );
}
