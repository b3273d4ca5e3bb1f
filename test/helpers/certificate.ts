// A throwaway self-signed certificate, made with openssl, for HTTPS and Redis TLS tests. By default
// it names 127.0.0.1 only (an IP entry); `subjectAltName` gives it other names ("DNS:localhost").
import { execFileSync } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface CertificateOptions {
  /** openssl's subjectAltName value, such as "DNS:localhost,IP:127.0.0.1"; default "IP:127.0.0.1". */
  readonly subjectAltName?: string;
  /** The subject's CN; default 127.0.0.1 (host name checks use the subjectAltName, not the CN). */
  readonly commonName?: string;
}

export function makeCertificate(options: CertificateOptions = {}): { cert: string; key: string } {
  const directory = mkdtempSync(join(tmpdir(), 'scratchpad-tls-'));
  const cert = join(directory, 'cert.pem');
  const key = join(directory, 'key.pem');
  const subjectAltName = options.subjectAltName ?? 'IP:127.0.0.1';
  const commonName = options.commonName ?? '127.0.0.1';
  execFileSync(
    'openssl',
    ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes', '-days', '1', '-subj', `/CN=${commonName}`, '-addext', `subjectAltName=${subjectAltName}`, '-keyout', key, '-out', cert],
    { stdio: 'ignore' },
  );
  return { cert, key };
}
