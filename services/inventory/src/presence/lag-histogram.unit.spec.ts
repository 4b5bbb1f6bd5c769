import { LagHistogram } from './lag-histogram';

describe('LagHistogram', () => {
  it('answers percentiles at millisecond resolution', () => {
    const h = new LagHistogram(10_000);
    for (let ms = 1; ms <= 100; ms++) h.record(ms);
    expect(h.count).toBe(100);
    expect(h.percentile(0.5)).toBe(50);
    expect(h.percentile(0.99)).toBe(99);
    expect(h.percentile(1)).toBe(100);
  });

  it('counts negative lags (clock skew) as 0 and caps large ones', () => {
    const h = new LagHistogram(1000);
    h.record(-5);
    h.record(50_000);
    expect(h.percentile(0.5)).toBe(0);
    expect(h.percentile(1)).toBe(1000);
    expect(h.max).toBe(50_000);
  });

  it('starts over after a reset', () => {
    const h = new LagHistogram();
    h.record(500);
    h.reset();
    expect(h.count).toBe(0);
    expect(h.percentile(0.99)).toBe(0);
  });
});
