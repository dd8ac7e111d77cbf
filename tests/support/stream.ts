import type { OutMessage } from './publish.js';

/**
 * A deterministic telemetry stream: `messages` messages spread over `devices`
 * of the small plant, each with unique timestamps, so exact row counts can be
 * asserted. Values stay inside the instruments' ranges.
 */
export function telemetryStream(topicPrefix: string, enterpriseId: string, messages: number, startMs: number): { stream: OutMessage[]; readings: number } {
  const stream: OutMessage[] = [];
  let readings = 0;
  for (let i = 0; i < messages; i++) {
    const ts = startMs + Math.floor(i / 2) * 10;
    if (i % 2 === 0) {
      const values: Record<string, number> = {};
      for (let c = 0; c < 8; c++) values[`c${c}`] = ((i + c) % 100) / 10;
      stream.push({ topic: `${topicPrefix}hw/v1/${enterpriseId}/${enterpriseId}-rtu1/telemetry`, payload: JSON.stringify({ ts, values }) });
      readings += 8;
    } else {
      stream.push({ topic: `${topicPrefix}hw/v1/${enterpriseId}/${enterpriseId}-gas2/telemetry`, payload: JSON.stringify({ ts, values: { lel: i % 100 } }) });
      readings += 1;
    }
  }
  return { stream, readings };
}
