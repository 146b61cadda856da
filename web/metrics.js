// The status glance's figures from owlet's Prometheus /metrics text: the four
// the product brief watches (online-query ratio < 30 %, answer-cache hit rate
// > 85 %, p99 answer latency < 500 ms, memory). No DOM here, so node tests it.

// Prometheus text -> [{name, labels, value}].
export function parseProm(text) {
  const out = [];
  for (const line of text.split('\n')) {
    if (!line || line[0] === '#') continue;
    const m = /^([a-zA-Z_:][\w:]*)(?:\{(.*)\})?\s+(\S+)/.exec(line);
    if (!m) continue;
    const labels = {};
    if (m[2]) for (const lm of m[2].matchAll(/(\w+)="((?:[^"\\]|\\.)*)"/g)) labels[lm[1]] = lm[2];
    out.push({ name: m[1], labels, value: m[3] === '+Inf' ? Infinity : parseFloat(m[3]) });
  }
  return out;
}

// The brief's four figures: online ratio, answer-cache hit rate, p99 latency, memory.
export function glanceFigures(samples) {
  const byTier = {};
  let total = 0;
  for (const s of samples)
    if (s.name === 'owlet_answers_total') { byTier[s.labels.tier] = (byTier[s.labels.tier] || 0) + s.value; total += s.value; }
  const buckets = new Map();  // le -> count, summed over tiers
  for (const s of samples)
    if (s.name === 'owlet_answer_duration_seconds_bucket') {
      const le = s.labels.le === '+Inf' ? Infinity : parseFloat(s.labels.le);
      buckets.set(le, (buckets.get(le) || 0) + s.value);
    }
  let p99 = null;
  const les = [...buckets.keys()].sort((a, b) => a - b);
  const count = les.length ? buckets.get(les[les.length - 1]) : 0;
  if (count > 0) {
    // As Prometheus' histogram_quantile: linear inside the bucket holding the rank.
    const rank = 0.99 * count;
    let prevLe = 0, prevCount = 0;
    for (const le of les) {
      const c = buckets.get(le);
      if (c >= rank) {
        p99 = le === Infinity ? prevLe : prevLe + (le - prevLe) * (c > prevCount ? (rank - prevCount) / (c - prevCount) : 1);
        break;
      }
      prevLe = le; prevCount = c;
    }
  }
  const mem = samples.find((s) => s.name === 'owlet_process_resident_memory_bytes');
  return {
    answers: total,
    online: total ? ((byTier['web-light'] || 0) + (byTier['web-deep'] || 0)) / total : null,
    cache: total ? (byTier.cache || 0) / total : null,
    p99_s: p99,
    memory: mem ? mem.value : null,
  };
}
