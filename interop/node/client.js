'use strict';
// An independent WebSocket peer for Tether's tests: a client on Node's `ws` that offers
// permessage-deflate (as ws does by default), sends messages of many sizes to an echo endpoint,
// text and binary, whole and in 3 fragments, and checks every echo.
// Usage: node client.js ws://127.0.0.1:PORT/im?user=node
// Prints "OPEN accepted=.." (the server's Sec-WebSocket-Extensions), a line per mismatch, then
// "RESULT passed=N failed=M" and exits 0 if all passed. Env: SIZES=comma separated sizes;
// DEFLATE=0 offers no permessage-deflate; SERVER_MAX_WINDOW_BITS=n offers that window.
const WebSocket = require('ws');

const sizes = process.env.SIZES ? process.env.SIZES.split(',').map(Number)
  : [0, 0, 1, 5, 64, 200, 1000, 2000, 8191, 8192, 8193, 65536, 300000, 0];
const cases = [];
for (const n of sizes) {
  for (const binary of [false, true]) {
    for (const fragmented of [false, true]) {
      // Printable ASCII starting with '!': never a JSON envelope, so the server echoes it.
      const text = Array.from({ length: n }, (_, i) => String.fromCharCode(33 + ((i * 7919) % 90))).join('');
      cases.push({ n, binary, fragmented, data: Buffer.from(text) });
    }
  }
}

const deflate = process.env.DEFLATE === '0' ? false : { threshold: 0 };
if (deflate && process.env.SERVER_MAX_WINDOW_BITS) {
  deflate.serverMaxWindowBits = Number(process.env.SERVER_MAX_WINDOW_BITS);
}
const ws = new WebSocket(process.argv[2], { perMessageDeflate: deflate, maxPayload: 16 << 20 });
let answer = '';
ws.on('upgrade', (res) => { answer = res.headers['sec-websocket-extensions'] || ''; });
let i = 0;
let passed = 0;
let failed = 0;

function finish(code) {
  console.log(`RESULT passed=${passed} failed=${failed + (cases.length - i)}`);
  process.exit(code);
}

function next() {
  if (i === cases.length) {
    ws.close(1000);
    return;
  }
  const c = cases[i];
  if (c.fragmented && c.n >= 3) {
    const k = Math.floor(c.n / 3);
    ws.send(c.data.subarray(0, k), { binary: c.binary, fin: false });
    ws.send(c.data.subarray(k, 2 * k), { binary: c.binary, fin: false });
    ws.send(c.data.subarray(2 * k), { binary: c.binary, fin: true });
  } else {
    ws.send(c.data, { binary: c.binary });
  }
}

ws.on('open', () => {
  console.log(`OPEN accepted="${answer}"`);
  next();
});
ws.on('message', (data, isBinary) => {
  const c = cases[i++];
  if (isBinary === c.binary && Buffer.compare(Buffer.from(data), c.data) === 0) {
    passed++;
  } else {
    failed++;
    console.log(`MISMATCH n=${c.n} binary=${c.binary} fragmented=${c.fragmented} got ${Buffer.from(data).length} bytes binary=${isBinary}`);
  }
  next();
});
ws.on('close', (code, reason) => {
  console.log(`CLOSE ${code} ${reason}`);
  finish(failed === 0 && i === cases.length ? 0 : 1);
});
ws.on('error', (e) => {
  console.log(`ERROR ${e.message}`);
  finish(1);
});
