// The AWS SDK for JavaScript v3 (@aws-sdk/client-kinesis, unmodified) against the HTTP gateway of
// a real `pinstream broker` process, through a whole session: create and wait, put one and a
// batch, list the shards, split one and put more, read every shard to the end following the
// lineage, tag, change the retention, delete.
//
//   node tests/gateway/js_sdk_test.mjs PINSTREAM_BINARY NODE_MODULES_PARENT
//
// The SDK is installed by tests/gateway/js/install.sh into NODE_MODULES_PARENT (build/js under
// ./run), outside the source tree, so it is loaded with a require() rooted there.
//
// The broker verifies SigV4 against the key pair the client signs with, so every call is also a
// check of the SDK's signatures. It binds free loopback ports; its ready line is read from a pipe
// with a deadline, and it is stopped by its pid (SIGTERM, exit status 0 expected).
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import { createRequire } from 'node:module';
import os from 'node:os';
import path from 'node:path';

const READY_TIMEOUT_MS = 30_000;
const EXIT_TIMEOUT_MS = 30_000;
const KEY_ID = 'pinstream-js-test';
const SECRET = 'pinstream-js-secret';
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

const [binary, modules] = process.argv.slice(2);
if (!binary || !modules) {
  console.error('usage: js_sdk_test.mjs PINSTREAM_BINARY NODE_MODULES_PARENT');
  process.exit(2);
}
const require = createRequire(path.join(path.resolve(modules), 'package.json'));
const kinesis = require('@aws-sdk/client-kinesis');
// The Kinesis client alone defaults to an HTTP/2 handler (for SubscribeToShard's event streams),
// which over plain http speaks h2c; the gateway serves HTTP/1.1, so the client is given the SDK's
// own HTTP/1.1 handler, as with kinesalite.
const { NodeHttpHandler } = require('@smithy/node-http-handler');

// --- the broker ------------------------------------------------------------------------------

function startBroker(dir) {
  const credentials = path.join(dir, 'credentials');
  fs.writeFileSync(credentials,
                   `[default]\naws_access_key_id = ${KEY_ID}\naws_secret_access_key = ${SECRET}\n`,
                   { mode: 0o600 });
  const log = fs.openSync(path.join(dir, 'broker.err'), 'w');
  const child = spawn(binary, ['broker', '--data', path.join(dir, 'data'), '--listen',
                               'tcp://127.0.0.1:*', '--http', '127.0.0.1:0',
                               '--aws-credentials', credentials],
                      { stdio: ['ignore', 'pipe', log] });
  const exited = new Promise((resolve) => child.on('exit', (code, signal) => resolve({ code, signal })));
  const ready = new Promise((resolve, reject) => {
    let line = '';
    const timer = setTimeout(() => reject(new Error(`no ready line within ${READY_TIMEOUT_MS} ms`)),
                             READY_TIMEOUT_MS);
    child.stdout.on('data', (chunk) => {
      line += chunk.toString();
      if (!line.includes('\n')) return;
      clearTimeout(timer);
      try {
        resolve(JSON.parse(line.split('\n')[0]));
      } catch (e) {
        reject(e);
      }
    });
    exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`broker exited (${code ?? signal}) before it was ready`));
    });
  });
  return { child, exited, ready, log: () => fs.readFileSync(path.join(dir, 'broker.err'), 'utf8').slice(-2000) };
}

async function stopBroker(broker) {
  process.kill(broker.child.pid, 'SIGTERM');
  const timeout = new Promise((_, reject) =>
    setTimeout(() => reject(new Error('broker did not exit after SIGTERM')), EXIT_TIMEOUT_MS));
  return Promise.race([broker.exited, timeout]);
}

// --- the session -----------------------------------------------------------------------------

let passed = 0;
async function step(name, fn) {
  await fn();
  passed += 1;
  console.log(`ok ${passed} - ${name}`);
}

// Every record of a shard from TRIM_HORIZON to its end: until a closed shard's iterator runs out
// (NextShardIterator absent, ChildShards given) or an open one has nothing more to give.
async function readShard(client, stream, shardId) {
  const records = [];
  let { ShardIterator: iterator } = await client.send(new kinesis.GetShardIteratorCommand(
      { StreamName: stream, ShardId: shardId, ShardIteratorType: 'TRIM_HORIZON' }));
  let childShards = [];
  for (let calls = 0; iterator; ++calls) {
    assert.ok(calls < 1000, `shard ${shardId} never reached its end`);
    const got = await client.send(new kinesis.GetRecordsCommand({ ShardIterator: iterator, Limit: 7 }));
    records.push(...got.Records);
    childShards = got.ChildShards ?? childShards;
    if (got.Records.length === 0 && got.MillisBehindLatest === 0) break;
    iterator = got.NextShardIterator;
  }
  return { records, childShards };
}

// Reads the stream as the KCL does: every shard, parents before their children (a child's records
// follow its parents' for each key), each to its end.
async function readStream(client, stream) {
  const { Shards: shards } = await client.send(new kinesis.ListShardsCommand({ StreamName: stream }));
  const done = new Set();
  const records = [];
  let pending = shards.map((s) => s.ShardId);
  while (pending.length > 0) {
    const ready = pending.filter((id) => {
      const s = shards.find((x) => x.ShardId === id);
      return [s?.ParentShardId, s?.AdjacentParentShardId].every((p) => !p || done.has(p) ||
                                                                   !shards.some((x) => x.ShardId === p));
    });
    assert.ok(ready.length > 0, `no shard can be read: ${pending}`);
    for (const id of ready) {
      const { records: got, childShards } = await readShard(client, stream, id);
      records.push(...got);
      done.add(id);
      for (const child of childShards) {
        if (!pending.includes(child.ShardId) && !done.has(child.ShardId)) pending.push(child.ShardId);
      }
    }
    pending = pending.filter((id) => !done.has(id));
  }
  return records;
}

// Resharding: SplitShard while records are in the stream, then more records (into the children),
// so that the reading below follows ChildShards across it and each key's order holds.
const RESHARD = true;
async function reshard(client, stream) {
  const { Shards: shards } = await client.send(new kinesis.ListShardsCommand({ StreamName: stream }));
  const first = shards[0];
  const start = BigInt(first.HashKeyRange.StartingHashKey);
  const end = BigInt(first.HashKeyRange.EndingHashKey);
  await client.send(new kinesis.SplitShardCommand({
    StreamName: stream, ShardToSplit: first.ShardId,
    NewStartingHashKey: ((start + end) / 2n + 1n).toString() }));
  await kinesis.waitUntilStreamExists({ client, maxWaitTime: 60 }, { StreamName: stream });
  const after = await client.send(new kinesis.ListShardsCommand({ StreamName: stream }));
  assert.equal(after.Shards.length, 4);
  assert.equal(after.Shards.filter((s) => s.ParentShardId === first.ShardId).length, 2);
}

async function session(url) {
  const client = new kinesis.KinesisClient({
    endpoint: url, region: 'us-east-1', maxAttempts: 2, requestHandler: new NodeHttpHandler(),
    credentials: { accessKeyId: KEY_ID, secretAccessKey: SECRET },
  });
  const stream = 'js-sdk-pins';
  const sent = [];
  const bytes = (s) => new TextEncoder().encode(s);

  await step('CreateStream', async () => {
    const out = await client.send(new kinesis.CreateStreamCommand({ StreamName: stream, ShardCount: 2 }));
    assert.match(out.$metadata.requestId, UUID);
  });
  await step('waitUntilStreamExists', async () => {
    const r = await kinesis.waitUntilStreamExists({ client, maxWaitTime: 60 }, { StreamName: stream });
    assert.equal(r.state, 'SUCCESS');
  });
  await step('PutRecord', async () => {
    const data = new Uint8Array([0, 1, 2, 0xff, 0xfe]);
    const out = await client.send(new kinesis.PutRecordCommand(
        { StreamName: stream, PartitionKey: 'key-0', Data: data }));
    assert.match(out.ShardId, /^shardId-\d+$/);
    assert.match(out.SequenceNumber, /^\d+$/);
    sent.push({ key: 'key-0', data: Buffer.from(data).toString('hex') });
  });
  const putBatch = async (from) => {
    const entries = [];
    for (let i = from; i < from + 40; ++i) {
      const key = `key-${i % 8}`;
      entries.push({ PartitionKey: key, Data: bytes(JSON.stringify({ i, key })) });
    }
    const out = await client.send(new kinesis.PutRecordsCommand({ StreamName: stream, Records: entries }));
    assert.equal(out.FailedRecordCount ?? 0, 0);
    assert.equal(out.Records.length, entries.length);
    for (const e of entries) sent.push({ key: e.PartitionKey, data: Buffer.from(e.Data).toString('hex') });
  };
  await step('PutRecords', () => putBatch(0));
  await step('ListShards', async () => {
    const out = await client.send(new kinesis.ListShardsCommand({ StreamName: stream }));
    assert.equal(out.Shards.length, 2);
    assert.equal(out.Shards[0].HashKeyRange.StartingHashKey, '0');
  });
  if (RESHARD) {
    await step('SplitShard', () => reshard(client, stream));
    await step('PutRecords after the split', () => putBatch(40));
  }
  await step('GetShardIterator/GetRecords to the end of every shard', async () => {
    const records = await readStream(client, stream);
    const got = records.map((r) => ({ key: r.PartitionKey, data: Buffer.from(r.Data).toString('hex') }));
    const sortKey = (x) => `${x.key}/${x.data}`;
    assert.deepEqual(got.map(sortKey).sort(), sent.map(sortKey).sort());
    // Each key's records in the order they were sent.
    for (const key of new Set(sent.map((x) => x.key))) {
      assert.deepEqual(got.filter((x) => x.key === key), sent.filter((x) => x.key === key), key);
    }
    for (const r of records) assert.ok(r.ApproximateArrivalTimestamp instanceof Date);
  });
  await step('AddTagsToStream/ListTagsForStream', async () => {
    await client.send(new kinesis.AddTagsToStreamCommand(
        { StreamName: stream, Tags: { team: 'pins', env: 'test' } }));
    const out = await client.send(new kinesis.ListTagsForStreamCommand({ StreamName: stream }));
    const tags = Object.fromEntries(out.Tags.map((t) => [t.Key, t.Value]));
    assert.deepEqual(tags, { team: 'pins', env: 'test' });
    assert.equal(out.HasMoreTags, false);
  });
  await step('IncreaseStreamRetentionPeriod', async () => {
    await client.send(new kinesis.IncreaseStreamRetentionPeriodCommand(
        { StreamName: stream, RetentionPeriodHours: 48 }));
    const out = await client.send(new kinesis.DescribeStreamSummaryCommand({ StreamName: stream }));
    assert.equal(out.StreamDescriptionSummary.RetentionPeriodHours, 48);
  });
  await step('errors are the SDK\'s exception classes, with the request id', async () => {
    await assert.rejects(
        client.send(new kinesis.DescribeStreamCommand({ StreamName: 'no-such-stream' })),
        (e) => e instanceof kinesis.ResourceNotFoundException && UUID.test(e.$metadata.requestId));
  });
  await step('a wrong secret is refused', async () => {
    const wrong = new kinesis.KinesisClient({
      endpoint: url, region: 'us-east-1', maxAttempts: 1, requestHandler: new NodeHttpHandler(),
      credentials: { accessKeyId: KEY_ID, secretAccessKey: 'wrong' },
    });
    await assert.rejects(wrong.send(new kinesis.ListStreamsCommand({})),
                         (e) => e.name === 'InvalidSignatureException');
  });
  await step('DeleteStream', async () => {
    await client.send(new kinesis.DeleteStreamCommand({ StreamName: stream }));
    const r = await kinesis.waitUntilStreamNotExists({ client, maxWaitTime: 60 }, { StreamName: stream });
    assert.equal(r.state, 'SUCCESS');
    const out = await client.send(new kinesis.ListStreamsCommand({}));
    assert.ok(!out.StreamNames.includes(stream));
  });
}

const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'pinstream-js-'));
const broker = startBroker(dir);
let status = 0;
try {
  const ready = await broker.ready;
  assert.equal(ready.pid, broker.child.pid);
  await session(ready.http);
  const { code, signal } = await stopBroker(broker);
  assert.equal(code, 0, `broker exited with ${code ?? signal}`);
  console.log(`1..${passed}`);
} catch (e) {
  console.error('not ok -', e?.stack ?? e);
  console.error('broker log:', broker.log());
  status = 1;
} finally {
  if (broker.child.exitCode === null && broker.child.signalCode === null) {
    process.kill(broker.child.pid, 'SIGKILL');
  }
  fs.rmSync(dir, { recursive: true, force: true });
}
process.exit(status);
