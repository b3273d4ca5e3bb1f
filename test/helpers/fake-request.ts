// A stand-in for IncomingMessage in body-reader tests: the given headers, then the chunks one by
// one on the next turn of the event loop, then the end (or, with `end` false, a client that went away).
import type { IncomingMessage } from 'node:http';
import { PassThrough } from 'node:stream';

export function fakeRequest(headers: Record<string, string>, chunks: (string | Buffer)[], end = true): IncomingMessage {
  const stream = new PassThrough();
  Object.assign(stream, { headers });
  setImmediate(() => {
    for (const chunk of chunks) stream.write(chunk);
    if (end) stream.end();
    else stream.destroy();
  });
  return stream as unknown as IncomingMessage;
}
