// A throw-away PKI for signature tests, made with the openssl command line: a root CA, intermediates and
// signing certificates with chosen validity dates, SAN and the Fulcio OIDC issuer extension, so tests can
// build "Fulcio-like" keyless bundles and certificate-method signatures offline.
import { execFileSync } from 'node:child_process';
import crypto from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';

export interface Cert { key: string; cert: string; der: Buffer; keyObject: crypto.KeyObject }

/** openssl's ca date format (UTC): YYYYMMDDHHMMSSZ. */
const stamp = (d: Date) => d.toISOString().replace(/[-:T]/g, '').slice(0, 14) + 'Z';

export class TestPki {
  private n = 0;
  constructor(readonly dir: string) {
    fs.mkdirSync(dir, { recursive: true });
  }

  private key(name: string, curve = 'prime256v1'): { file: string; keyObject: crypto.KeyObject } {
    const { privateKey } = crypto.generateKeyPairSync('ec', { namedCurve: curve });
    const file = path.join(this.dir, `${name}.key.pem`);
    fs.writeFileSync(file, privateKey.export({ type: 'pkcs8', format: 'pem' }));
    return { file, keyObject: privateKey };
  }

  /**
   * Issues a certificate. `issuer` null: self-signed root. `ext`: openssl extension lines. Dates default to
   * an hour ago .. a year ahead.
   */
  issue(name: string, issuer: Cert | null, ext: string[], o: { start?: Date; end?: Date; curve?: string } = {}): Cert {
    const k = this.key(name, o.curve);
    const caDir = path.join(this.dir, `ca-${++this.n}`);
    fs.mkdirSync(path.join(caDir, 'new'), { recursive: true });
    fs.writeFileSync(path.join(caDir, 'index.txt'), '');
    fs.writeFileSync(path.join(caDir, 'serial'), crypto.randomBytes(8).toString('hex').toUpperCase() + '\n');
    const cnf = path.join(caDir, 'ca.cnf');
    fs.writeFileSync(cnf, [
      '[ca]', 'default_ca = d', '[d]', `dir = ${caDir}`, `database = ${caDir}/index.txt`, `new_certs_dir = ${caDir}/new`,
      `serial = ${caDir}/serial`, 'default_md = sha256', 'policy = p', 'unique_subject = no', 'email_in_dn = no',
      '[p]', 'commonName = supplied', 'organizationName = optional', '[ext]', ...ext, '',
    ].join('\n'));
    const csr = path.join(caDir, 'req.csr');
    execFileSync('openssl', ['req', '-new', '-key', k.file, '-subj', `/O=Hallmark tests/CN=${name}`, '-out', csr], { stdio: 'pipe' });
    const out = path.join(this.dir, `${name}.pem`);
    const start = o.start ?? new Date(Date.now() - 3600_000);
    const end = o.end ?? new Date(Date.now() + 365 * 86400_000);
    const args = ['ca', '-batch', '-config', cnf, '-extensions', 'ext', '-in', csr, '-out', out, '-notext', '-startdate', stamp(start), '-enddate', stamp(end)];
    if (issuer) args.push('-cert', issuer.cert, '-keyfile', issuer.key);
    else args.push('-selfsign', '-keyfile', k.file);
    execFileSync('openssl', args, { stdio: 'pipe' });
    const der = Buffer.from(new crypto.X509Certificate(fs.readFileSync(out)).raw);
    return { key: k.file, cert: out, der, keyObject: k.keyObject };
  }

  root(name = 'Test Root CA', o: { start?: Date; end?: Date } = {}): Cert {
    return this.issue(name, null, ['basicConstraints = critical,CA:true', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash'], o);
  }

  intermediate(name: string, issuer: Cert, o: { start?: Date; end?: Date } = {}): Cert {
    return this.issue(name, issuer, ['basicConstraints = critical,CA:true', 'keyUsage = critical,keyCertSign,cRLSign', 'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid'], o);
  }

  /** A signing certificate: digitalSignature, code signing, an email SAN and (optionally) the Fulcio v2 issuer extension. */
  leaf(name: string, issuer: Cert, o: { email?: string; oidcIssuer?: string; start?: Date; end?: Date; curve?: string; usage?: string } = {}): Cert {
    return this.issue(name, issuer, [
      'basicConstraints = critical,CA:false', `keyUsage = critical,${o.usage ?? 'digitalSignature'}`, ...(o.usage ? [] : ['extendedKeyUsage = codeSigning']),
      'subjectKeyIdentifier = hash', 'authorityKeyIdentifier = keyid',
      ...(o.email ? [`subjectAltName = email:${o.email}`] : []),
      ...(o.oidcIssuer ? [`1.3.6.1.4.1.57264.1.8 = ASN1:UTF8String:${o.oidcIssuer}`] : []),
    ], o);
  }

  /** A Sigstore trusted_root.json trusting `ca` as a Fulcio CA, with no logs (a private, offline deployment). */
  trustedRoot(ca: Cert, file: string, validFor?: { start: Date; end?: Date }): string {
    fs.writeFileSync(file, JSON.stringify({
      mediaType: 'application/vnd.dev.sigstore.trustedroot+json;version=0.1',
      tlogs: [], ctlogs: [], timestampAuthorities: [],
      certificateAuthorities: [{
        subject: { organization: 'Hallmark tests', commonName: 'Test Fulcio' }, uri: 'https://fulcio.test',
        certChain: { certificates: [{ rawBytes: ca.der.toString('base64') }] },
        validFor: { start: (validFor?.start ?? new Date(0)).toISOString(), ...(validFor?.end ? { end: validFor.end.toISOString() } : {}) },
      }],
    }, null, 2));
    return file;
  }
}
