#!/usr/bin/env node
// Moves bytes through mip.v1.TcpService.Connect from Node.js (@grpc/grpc-js + @grpc/proto-loader), as any
// language's generated client would: open, stream `data`, half-close with `shutdown_send`, read to `end_of_stream`.
//
//   node clients/node/tcp-connect.js SERVER HOST PORT BYTES
//
// Sends BYTES bytes (byte i = i mod 251), reads what comes back until the peer's FIN, and prints one JSON line:
// {"socketId":..., "sent":N, "sentSha256":"...", "received":N, "receivedSha256":"..."}. Exits 1 with the gRPC
// status and ErrorInfo reason on failure.
'use strict';
const path = require('node:path');
const crypto = require('node:crypto');
const grpc = require('@grpc/grpc-js');
const protoLoader = require('@grpc/proto-loader');

const [server, host, port, bytesArg] = process.argv.slice(2);
if (!server || !host || !port || !bytesArg) {
  console.error('usage: tcp-connect.js SERVER HOST PORT BYTES');
  process.exit(64);
}
const total = Number(bytesArg);
const root = path.resolve(__dirname, '..', '..', 'protos');
const definition = protoLoader.loadSync(path.join(root, 'mip/v1/tcp.proto'), {
  includeDirs: [root],
  keepCase: true,
  longs: Number,
  enums: String,
  defaults: true,
  oneofs: true,
});
const mip = grpc.loadPackageDefinition(definition).mip.v1;
const client = new mip.TcpService(server.replace(/^https?:\/\//, ''), grpc.credentials.createInsecure());
const call = client.Connect();

const sentHash = crypto.createHash('sha256');
const receivedHash = crypto.createHash('sha256');
let received = 0;
let socketId = '';
const CHUNK = 40 * 1024;

function pattern(offset, length) {
  const block = Buffer.allocUnsafe(length);
  for (let i = 0; i < length; i++) block[i] = (offset + i) % 251;
  return block;
}

// Honours backpressure: write() returns false when grpc-js buffers, and 'drain' resumes.
function sendAll(offset) {
  while (offset < total) {
    const block = pattern(offset, Math.min(CHUNK, total - offset));
    sentHash.update(block);
    offset += block.length;
    if (!call.write({ data: block })) {
      call.once('drain', () => sendAll(offset));
      return;
    }
  }
  call.write({ shutdown_send: {} });
  call.end();
}

call.on('data', (message) => {
  switch (message.frame) {
    case 'connected':
      socketId = message.connected.socket_id;
      sendAll(0);
      break;
    case 'data':
      receivedHash.update(message.data);
      received += message.data.length;
      break;
    case 'end_of_stream':
      break;
  }
});
call.on('error', (err) => {
  let reason = '';
  const details = err.metadata && err.metadata.get('grpc-status-details-bin');
  if (details && details.length > 0) reason = ` (status details ${details[0].length} bytes)`;
  console.error(`error: ${grpc.status[err.code]} ${err.details}${reason}`);
  process.exit(1);
});
call.on('end', () => {
  console.log(JSON.stringify({
    socketId,
    sent: total,
    sentSha256: sentHash.digest('hex'),
    received,
    receivedSha256: receivedHash.digest('hex'),
  }));
  client.close();
});
call.write({ open: { host, port: Number(port) } });
