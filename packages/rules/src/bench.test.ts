import { expect, test } from 'vitest';
import { benchEngine } from './bench.js';

test('benchEngine measures threshold and interlock workloads', () => {
  const figures = benchEngine({ minMs: 20 });
  expect(figures.map((f) => f.name)).toEqual([
    'threshold, 1 reading per call',
    'threshold, 100 readings per call',
    'interlock 2oo3, 5 readings per call',
    'interlock 2oo3, 100×5 readings per call',
  ]);
  for (const f of figures) {
    expect(f.evaluationsPerSec).toBeGreaterThan(0);
    expect(f.readingsPerSec).toBeGreaterThanOrEqual(f.evaluationsPerSec);
    expect(f.elapsedMs).toBeGreaterThanOrEqual(20);
  }
});
