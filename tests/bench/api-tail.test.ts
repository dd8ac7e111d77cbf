import { describe, expect, it } from 'vitest';
import type { ServerWindow } from './api-server-protocol.js';
import { analyseTail } from './api-tail.js';
import { overlapMs } from './lib/gc-pauses.js';

const window = (over: Partial<ServerWindow>): ServerWindow => ({
  type: 'window',
  id: 1,
  wallMs: 0,
  requests: [],
  gc: [],
  pg: [],
  redis: [],
  cpu: { userMs: 0, systemMs: 0 },
  mainThread: { onCpuMs: 0, runWaitMs: 0 },
  eventLoopDelay: { p50Ms: 0, p99Ms: 0, maxMs: 0 },
  heapUsedMiB: { start: 0, end: 0 },
  ...over,
});

describe('overlapMs', () => {
  it('counts only the part of each interval inside the span', () => {
    expect(overlapMs([{ atMs: 5, ms: 10 }], 10, 20)).toBe(5);
    expect(overlapMs([{ atMs: 0, ms: 5 }], 10, 20)).toBe(0);
    expect(
      overlapMs(
        [
          { atMs: 11, ms: 2 },
          { atMs: 18, ms: 5 },
        ],
        10,
        20,
      ),
    ).toBe(4);
  });
});

describe('analyseTail', () => {
  // Ten requests of 10 ms, 100 ms apart; the last takes 40 ms and has a 25 ms API pause and a slow query in it.
  const client = Array.from({ length: 10 }, (_, i) => ({ atMs: 1000 + i * 100, ms: i === 9 ? 40 : 10, runWaitMs: 0 }));
  const served = client.map((c) => ({ url: '/x', atMs: c.atMs + 1, handlerMs: c.ms - 3, ms: c.ms - 2, onCpuMs: 1, runWaitMs: 0, externalMiB: 1 }));

  it('puts each pause and call with the request it fell in', () => {
    const t = analyseTail(
      client,
      window({
        requests: served,
        gc: [{ atMs: 1905, ms: 25, kind: 'minor' }],
        pg: [
          { atMs: 1902, ms: 12 },
          { atMs: 1002, ms: 3 },
        ],
      }),
      [],
    );
    expect(t).not.toBeNull();
    expect(t?.slowest[0]).toMatchObject({ clientMs: 40, serverMs: 38, apiGcMs: 25, apiGcKinds: 'minor 25.0', pgMaxMs: 12, benchGcMs: 0 });
    expect(t?.slow).toMatchObject({ n: 1, apiGcMs: 25, withApiGc: 1 });
    expect(t?.rest).toMatchObject({ n: 9, apiGcMs: 0, withApiGc: 0 });
    expect(t?.slowest.find((x) => x.pgMaxMs === 3)?.clientMs).toBe(10);
  });

  it('gives up when the API process saw a different number of requests', () => {
    expect(analyseTail(client, window({ requests: served.slice(1) }), [])).toBeNull();
  });
});
