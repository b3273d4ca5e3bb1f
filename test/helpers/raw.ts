// Raw HTTP over a socket, for requests fetch() will not send (bad syntax, huge headers, partial bodies).
import { connect } from 'node:net';

/**
 * Sends `bytes` to the server at `url` and returns everything it answers until the connection
 * closes. With `keepOpen`, the socket is not half-closed after writing (a client still "sending"),
 * and is dropped as soon as the response headers have arrived. A reset counts as the end.
 */
export function sendRaw(url: string, bytes: string | Buffer, { keepOpen = false } = {}): Promise<string> {
  const { port } = new URL(url);
  return new Promise((resolve, reject) => {
    const socket = connect(Number(port), '127.0.0.1', () => (keepOpen ? socket.write(bytes) : socket.end(bytes)));
    let answer = '';
    socket.on('data', (chunk) => {
      answer += chunk.toString('latin1');
      if (keepOpen && answer.includes('\r\n\r\n')) socket.destroy();
    });
    socket.on('close', () => resolve(answer));
    socket.on('error', (error: NodeJS.ErrnoException) => (error.code === 'ECONNRESET' ? resolve(answer) : reject(error)));
  });
}
