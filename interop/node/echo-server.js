'use strict';
// An independent WebSocket peer for Tether's tests: an echo server on Node's `ws`.
// Prints "PORT n" once listening, "OPEN offer=.. accepted=.." per connection (the client's
// Sec-WebSocket-Extensions and ours, in full), "ERROR .." on
// protocol errors and "CLOSE code reason" per closed connection. Stops when stdin closes.
// Env: DEFLATE=0 turns permessage-deflate off; NO_CONTEXT_TAKEOVER=1 asks for none both ways;
// FRAGMENTS=n echoes each message of n bytes or more in n frames.
const { WebSocketServer } = require('ws');

const fragments = Math.max(1, Number(process.env.FRAGMENTS || 1));
const noContext = process.env.NO_CONTEXT_TAKEOVER === '1';
const wss = new WebSocketServer({
  host: '127.0.0.1',
  port: 0,
  maxPayload: 16 << 20,
  perMessageDeflate: process.env.DEFLATE === '0' ? false : {
    threshold: 0, // compress every message, the empty one included
    serverNoContextTakeover: noContext,
    clientNoContextTakeover: noContext,
  },
});

wss.on('listening', () => console.log(`PORT ${wss.address().port}`));
wss.on('headers', (headers, req) => {
  const answer = headers.find((h) => h.toLowerCase().startsWith('sec-websocket-extensions:'));
  req.tetherAnswer = answer ? answer.substring(answer.indexOf(':') + 1).trim() : '';
});
wss.on('connection', (ws, req) => {
  console.log(`OPEN offer="${req.headers['sec-websocket-extensions'] || ''}" accepted="${req.tetherAnswer}"`);
  ws.on('message', (data, isBinary) => {
    const bytes = Buffer.from(data);
    if (fragments > 1 && bytes.length >= fragments) {
      const step = Math.floor(bytes.length / fragments);
      for (let i = 0; i < fragments; i++) {
        const end = i === fragments - 1 ? bytes.length : (i + 1) * step;
        ws.send(bytes.subarray(i * step, end), { binary: isBinary, fin: i === fragments - 1 });
      }
    } else {
      ws.send(bytes, { binary: isBinary });
    }
  });
  ws.on('close', (code, reason) => console.log(`CLOSE ${code} ${reason}`));
  ws.on('error', (e) => console.log(`ERROR ${e.message}`));
});

process.stdin.on('end', () => wss.close(() => process.exit(0)));
process.stdin.resume();
