import assert from 'node:assert/strict';
import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, test } from 'node:test';
import { ConnectionLostError, KeepAlivePoster, parseResponse } from './keep-alive-poster.js';

let server: http.Server;
let origin: string;
const sockets = new Set<unknown>();
let requestsSeen = 0;

before(async () => {
  server = http.createServer((request, response) => {
    requestsSeen++;
    let body = '';
    request.setEncoding('utf8');
    request.on('data', (c) => {
      body += c;
    });
    request.on('end', () => {
      const { mode, text } = JSON.parse(body) as { mode: string; text: string };
      if (mode === 'drop') {
        request.socket.destroy();
        return;
      }
      if (mode === 'chunked') {
        // No content-length: node sends the body chunked, in several chunks.
        response.writeHead(201, { 'content-type': 'text/plain' });
        response.write(text.slice(0, 3));
        setTimeout(() => response.end(text.slice(3)), 5);
        return;
      }
      const headers: http.OutgoingHttpHeaders = { 'content-length': Buffer.byteLength(text) };
      if (mode === 'close') headers.connection = 'close';
      response.writeHead(200, headers);
      response.end(text);
    });
  });
  server.on('connection', (s) => {
    sockets.add(s);
    s.on('close', () => sockets.delete(s));
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  origin = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
});
after(() => server.close());

const post = (poster: KeepAlivePoster, mode: string, text: string) =>
  poster.post('/echo', JSON.stringify({ mode, text }), { 'content-type': 'application/json' });

test('answers with a content-length and chunked, multi-byte text intact, requests beyond the connections queued', async () => {
  const poster = new KeepAlivePoster(origin, 2);
  try {
    const texts = Array.from({ length: 20 }, (_, i) => `räksmörgås ${i} ${'€'.repeat(i)}`);
    const answers = await Promise.all(texts.map((t, i) => post(poster, i % 2 === 0 ? 'length' : 'chunked', t)));
    assert.deepEqual(
      answers.map((a) => a.text),
      texts,
    );
    assert.deepEqual(
      answers.map((a) => a.status),
      texts.map((_, i) => (i % 2 === 0 ? 200 : 201)),
    );
    // Two keep-alive connections carried all twenty.
    assert.ok(sockets.size <= 2, `${sockets.size} connections`);
  } finally {
    poster.close();
  }
});

test('a server that closes after its answer: the next request opens a new connection', async () => {
  const poster = new KeepAlivePoster(origin, 1);
  try {
    assert.equal((await post(poster, 'close', 'first')).text, 'first');
    assert.equal((await post(poster, 'length', 'second')).text, 'second');
  } finally {
    poster.close();
  }
});

test('a connection lost before the answer rejects that request only; close() rejects what is in flight', async () => {
  const poster = new KeepAlivePoster(origin, 2);
  await assert.rejects(post(poster, 'drop', 'x'), (e: unknown) => e instanceof ConnectionLostError);
  assert.equal((await post(poster, 'length', 'after')).text, 'after');
  const seen = requestsSeen;
  const pending = post(poster, 'chunked', 'slow answer');
  while (requestsSeen === seen) await new Promise((r) => setTimeout(r, 1));
  poster.close();
  await assert.rejects(pending, (e: unknown) => e instanceof ConnectionLostError);
});

test('parseResponse waits for a whole response and reports what it used', () => {
  const whole = Buffer.from('HTTP/1.1 200 OK\r\nContent-Length: 5\r\n\r\nhelloHTTP/1.1 204');
  assert.deepEqual(parseResponse(whole.subarray(0, 30)), undefined);
  const parsed = parseResponse(whole);
  assert.deepEqual(parsed?.answer, { status: 200, text: 'hello' });
  assert.equal(parsed?.used, whole.indexOf('HTTP/1.1 204'));
  const chunked = Buffer.from('HTTP/1.1 200 OK\r\nTransfer-Encoding: chunked\r\n\r\n3\r\nabc\r\n2\r\nde\r\n0\r\n\r\n');
  assert.deepEqual(parseResponse(chunked.subarray(0, chunked.length - 2)), undefined);
  assert.deepEqual(parseResponse(chunked)?.answer, { status: 200, text: 'abcde' });
  assert.equal(parseResponse(chunked)?.used, chunked.length);
});
