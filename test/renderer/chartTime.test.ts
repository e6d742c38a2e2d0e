import { describe, expect, it } from 'vitest';
import { MIN_SPAN, timeRange, timeTicks } from '../../renderer/src/lib/chartTime';

describe('chart time axis', () => {
  it('never spans under two minutes, so a few close points get whole-second ticks', () => {
    expect(timeRange(1000, 1000.4)).toEqual([1000.2 - MIN_SPAN / 2, 1000.2 + MIN_SPAN / 2]);
    expect(timeRange(0, 3600)).toEqual([0, 3600]);
  });
  it('labels every tick as a whole time, never a ":21.2" fragment', () => {
    const base = Date.UTC(2026, 11, 3, 10, 0, 0) / 1000;
    for (const step of [0.2, 1, 10, 60, 600]) {
      const labels = timeTicks([0, 1, 2, 3].map((i) => base + i * step));
      for (const l of labels) expect(l).toMatch(/^\d\d:\d\d(:\d\d)?$/);
    }
    expect(timeTicks([base, base + 86_400])[0]).toMatch(/^\d{1,2}\/\d{1,2}$/);
  });
});
