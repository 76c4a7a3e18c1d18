#!/usr/bin/env node
// Moves bytes through mip.v1.TcpService.Connect from Node.js (@grpc/grpc-js + @grpc/proto-loader), as any
// language's generated client would: open, stream `data`, half-close with `shutdown_send`, read to `end_of_stream`.
//
//   node clients/node/tcp-connect.js SERVER HOST PORT BYTES
//
// Sends BYTES bytes (byte i = i mod 251), reads what comes back until the peer's FIN, and prints one JSON line:
// {"socketId":..., "sent":N, "sentSha256":"...", "received":N, "receivedSha256":"..."}. On failure prints
// `error: STATUS REASON: details` (REASON = the google.rpc.ErrorInfo reason the server attached, e.g.
// CONNECTION_REFUSED, or `-` when there is none: the transport failed) and exits 1.
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
// The reasons tcp.proto documents, with what they mean for this call. Any other reason is printed as it came.
const REASONS = {
  CONNECTION_REFUSED: 'the peer answered with a reset (nothing listens on that port)',
  CONNECTION_RESET: 'the peer reset the connection',
  TIMED_OUT: 'no answer from the peer in time (handshake or user timeout)',
  HOST_UNREACHABLE: 'the peer (or the gateway) does not answer ARP, or a router said so',
  NETWORK_UNREACHABLE: 'a router reported the network unreachable',
  NOT_CONFIGURED: 'the stack has no address yet (DHCP not bound)',
  ADDRESS_IN_USE: 'the local port is taken',
  TOO_MANY_SOCKETS: 'this client holds as many sockets as the server allows',
  ADDRESS_LOST: 'the stack lost its address (DHCP lease ended or address changed); the connection was dropped',
  SOCKET_CLOSED: 'the socket was closed through CloseSocket',
};

// Reads a protobuf message's fields (number, wire type, value) from the wire format: enough for google.rpc.Status
// and ErrorInfo without a copy of googleapis' protos.
function* protoFields(buf) {
  let i = 0;
  const varint = () => {
    let value = 0;
    for (let shift = 0; ; shift += 7) {
      if (i >= buf.length) throw new Error('truncated varint');
      const b = buf[i++];
      value += (b & 0x7f) * 2 ** shift;
      if (b < 0x80) return value;
    }
  };
  while (i < buf.length) {
    const key = varint();
    const wire = key % 8;
    if (wire === 0) yield [Math.floor(key / 8), wire, varint()];
    else if (wire === 2) {
      const length = varint();
      if (i + length > buf.length) throw new Error('truncated field');
      yield [Math.floor(key / 8), wire, buf.subarray(i, i + length)];
      i += length;
    } else if (wire === 1) i += 8;
    else if (wire === 5) i += 4;
    else throw new Error(`unsupported wire type ${wire}`);
  }
}

// google.rpc.Status (details = 3, each an Any: type_url = 1, value = 2) -> the first ErrorInfo's reason (field 1).
function errorInfoReason(statusBytes) {
  for (const [number, wire, any] of protoFields(statusBytes)) {
    if (number !== 3 || wire !== 2) continue;
    let typeUrl = '';
    let value = null;
    for (const [n, w, v] of protoFields(any)) {
      if (n === 1 && w === 2) typeUrl = v.toString('utf8');
      else if (n === 2 && w === 2) value = v;
    }
    if (typeUrl.endsWith('/google.rpc.ErrorInfo') && value) {
      for (const [n, w, v] of protoFields(value)) {
        if (n === 1 && w === 2) return v.toString('utf8');
      }
    }
  }
  return '';
}

call.on('error', (err) => {
  let reason = '';
  const details = err.metadata ? err.metadata.get('grpc-status-details-bin') : [];
  if (details.length > 0) {
    try {
      reason = errorInfoReason(Buffer.from(details[0]));
    } catch (e) {
      console.error(`warning: unreadable status details: ${e.message}`);
    }
  }
  const meaning = REASONS[reason] ? ` (${REASONS[reason]})` : '';
  console.error(`error: ${grpc.status[err.code]} ${reason || '-'}: ${err.details}${meaning}`);
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
