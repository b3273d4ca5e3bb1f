// One HTTPS request that trusts a given certificate authority (the tests' throwaway certificate),
// with everything a test looks at: status, Set-Cookie headers, and the body as text.
import { request } from 'node:https';

export interface HttpsAnswer {
  readonly status: number;
  readonly setCookies: string[];
  readonly body: string;
}

export function httpsRequest(url: string, ca: Buffer, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<HttpsAnswer> {
  return new Promise((resolve, reject) => {
    const outgoing = request(url, { method: options.method ?? 'GET', headers: options.headers ?? {}, ca }, (response) => {
      let body = '';
      response.setEncoding('utf8');
      response.on('data', (chunk: string) => (body += chunk));
      response.on('end', () => resolve({ status: response.statusCode ?? 0, setCookies: response.headers['set-cookie'] ?? [], body }));
    });
    outgoing.on('error', reject);
    outgoing.end(options.body);
  });
}
