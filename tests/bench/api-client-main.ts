/**
 * Bench-only HTTP client process of `npm run bench -- api`: sends the measured requests of an
 * HTTP case from a fresh, small heap, so the bench process's GC (its heap holds the loaded data)
 * and its GC helper threads are not in the client's time. Per run (api-client-protocol.ts): the
 * given GETs one after another (keep-alive fetch or node:http, body read completely as bytes, no decoding),
 * each timed, with this process's GC pauses, CPU and main-thread run-queue wait over the run.
 */
import { Agent, get } from 'node:http';
import type { ClientRequest, ClientRun, FromClient, ToClient } from './api-client-protocol.js';
import { epochMs, GcRecorder } from './lib/gc-pauses.js';
import { schedDeltaMs, threadSchedNs } from './lib/run-queue.js';

const send = (m: FromClient) => process.send?.(m);
const gc = new GcRecorder();
const ms2 = (x: number) => Math.round(x * 100) / 100;
const agent = new Agent({ keepAlive: true, maxSockets: 1 });

/** One GET: status and the body's chunks (read completely; joined only by the caller that needs the text). */
async function fetchGet(r: ClientRun): Promise<{ status: number; chunks: Uint8Array[] }> {
  const res = await fetch(r.url, { headers: r.headers });
  return { status: res.status, chunks: [new Uint8Array(await res.arrayBuffer())] };
}

function nodeGet(r: ClientRun): Promise<{ status: number; chunks: Uint8Array[] }> {
  return new Promise((resolve, reject) => {
    get(r.url, { agent, headers: r.headers }, (res) => {
      const chunks: Uint8Array[] = [];
      res.on('data', (c: Buffer) => chunks.push(c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, chunks }));
      res.on('error', reject);
    }).on('error', reject);
  });
}

async function run(r: ClientRun): Promise<void> {
  const once = r.http === 'node' ? nodeGet : fetchGet;
  let last: Uint8Array[] = [];
  let bytes = 0;
  const requests: ClientRequest[] = [];
  gc.start();
  const cpu0 = process.cpuUsage();
  const sched0 = threadSchedNs();
  const at0 = epochMs();
  for (let i = 0; i < r.count; i++) {
    const atMs = epochMs();
    const s = threadSchedNs();
    const res = await once(r);
    last = res.chunks;
    bytes = last.reduce((s, c) => s + c.byteLength, 0);
    if (res.status !== 200) throw new Error(`GET ${r.url}: ${res.status} ${Buffer.concat(last).toString('utf8', 0, 300)}`);
    requests.push({ atMs, ms: epochMs() - atMs, runWaitMs: schedDeltaMs(s, threadSchedNs()).waitMs });
  }
  const wallMs = epochMs() - at0;
  const cpu = process.cpuUsage(cpu0);
  const main = schedDeltaMs(sched0, threadSchedNs());
  const pauses = await gc.stop();
  // Parsing 1.6 MB is the client's cost, not the API's: once, after the timed loop.
  const items = r.countItems && bytes > 0 ? (JSON.parse(Buffer.concat(last).toString('utf8')) as { items: unknown[] }).items.length : null;
  send({
    type: 'done',
    id: r.id,
    wallMs: ms2(wallMs),
    requests,
    bytes,
    items,
    gc: pauses,
    cpu: { userMs: ms2(cpu.user / 1000), systemMs: ms2(cpu.system / 1000) },
    mainThread: { onCpuMs: ms2(main.onCpuMs), runWaitMs: ms2(main.waitMs) },
  });
}

process.on('message', (m: ToClient) => {
  if (m.type === 'stop') {
    gc.close();
    process.exit(0);
  }
  run(m).catch((err: unknown) => send({ type: 'failed', message: err instanceof Error ? (err.stack ?? err.message) : String(err) }));
});
// The bench gone: nothing left to send.
process.on('disconnect', () => process.exit(0));

send({ type: 'ready' });
