// The UI's pure modules under node, no browser: the Markdown renderer (it
// renders untrusted model output, so escaping is tested hardest) and the
// status glance's figures from Prometheus text.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import path from 'node:path';
import { pathToFileURL } from 'node:url';

const WEB = process.env.OWLET_WEB_DIR;
if (!WEB) throw new Error('OWLET_WEB_DIR is not set (run through ctest)');
const { renderMarkdown, escapeHtml } = await import(pathToFileURL(path.join(WEB, 'markdown.js')).href);
const { parseProm, glanceFigures } = await import(pathToFileURL(path.join(WEB, 'metrics.js')).href);

const md = (s, opts = { citeCount: 3, citeHref: (n) => `#src-k-${n}` }) => renderMarkdown(s, opts);

test('raw HTML in model output is shown as text, never markup', () => {
  const attacks = [
    '<script>alert(1)</script>',
    '<img src=x onerror=alert(1)>',
    '[x](javascript:alert(1))',
    '[x](https://e.com/"onmouseover="alert(1))',
    '`<b>` **<i>bold</i>** <a href="https://e.com">a</a>',
    '```\n</code></pre><script>alert(1)</script>\n```',
    '| a | <b>b</b> |\n|---|---|\n| <svg onload=alert(1)> | 2 |',
    '> <iframe src="https://e.com"></iframe>',
    'https://e.com/"><script>alert(1)</script>',
    '\u0001' + '0' + '\u0002 [1] placeholder forgery',
  ];
  for (const a of attacks) {
    const html = md(a);
    assert.doesNotMatch(html, /<(script|img|iframe|svg|i|b)[\s>]/i, `${a} -> ${html}`);
    assert.doesNotMatch(html, /href="javascript:/i, html);
    assert.doesNotMatch(html, /<[^>]*\son\w+=/i, `event handler attribute: ${a} -> ${html}`);
    // The only tags are the renderer's own.
    for (const m of html.matchAll(/<\/?([a-z0-9]+)/g))
      assert.ok(['p', 'br', 'a', 'code', 'pre', 'strong', 'em', 'del', 'ul', 'ol', 'li', 'blockquote', 'h3', 'h4', 'h5',
        'h6', 'hr', 'table', 'thead', 'tbody', 'tr', 'th', 'td', 'div'].includes(m[1]), `tag ${m[1]} in ${html}`);
  }
  assert.equal(escapeHtml(`<a href="x">'&'</a>`), '&lt;a href=&quot;x&quot;&gt;&#39;&amp;&#39;&lt;/a&gt;');
});

test('citations link to their source cards; unknown numbers stay text', () => {
  const html = md('Owls hunt at night [1]. Barn owls [2, 3] and [2][3]. Not a source: [7]; [0]; array[1 + 1].');
  assert.match(html, /<a class="cite" href="#src-k-1" data-n="1">\[1\]<\/a>/);
  assert.equal((html.match(/data-n="2"/g) || []).length, 2);
  assert.equal((html.match(/data-n="3"/g) || []).length, 2);
  assert.match(html, /\[7\]/);
  assert.doesNotMatch(html, /data-n="7"|data-n="0"/);
  // Before sources arrive (count 0) nothing is linked.
  assert.doesNotMatch(md('see [1]', { citeCount: 0 }), /class="cite"/);
  // Full-width comma, as Chinese answers write lists.
  assert.match(md('猫头鹰[1，2]。'), /data-n="1".*data-n="2"/);
});

test('block and inline Markdown', () => {
  const html = md('# Title\n\nPara with **bold**, *em*, `code` and ~~old~~.\nNext line.\n\n- one\n- two\n\n3. three\n4. four\n\n' +
    '> quoted\n\n```js\nlet x = 1 < 2;\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n---\n[site](https://example.com/a?b=1&c=2)');
  assert.match(html, /<h3>Title<\/h3>/);
  assert.match(html, /<strong>bold<\/strong>, <em>em<\/em>, <code>code<\/code> and <del>old<\/del>\.<br>Next line\./);
  assert.match(html, /<ul><li>one<\/li><li>two<\/li><\/ul>/);
  assert.match(html, /<ol start="3"><li>three<\/li><li>four<\/li><\/ol>/);
  assert.match(html, /<blockquote><p>quoted<\/p><\/blockquote>/);
  assert.match(html, /<pre><code class="language-js">let x = 1 &lt; 2;<\/code><\/pre>/);
  assert.match(html, /<table><thead><tr><th>a<\/th><th>b<\/th><\/tr><\/thead><tbody><tr><td>1<\/td><td>2<\/td><\/tr>/);
  assert.match(html, /<hr>/);
  assert.match(html, /<a href="https:\/\/example\.com\/a\?b=1&amp;c=2" target="_blank" rel="noopener noreferrer">site<\/a>/);
  assert.doesNotMatch(md('snake_case_name and 2*3*4'), /<em>/);
});

test('partial text while streaming renders without swallowing', () => {
  // An unclosed fence runs to the end; unclosed emphasis stays literal.
  assert.match(md('Intro\n```\ncode so far'), /<p>Intro<\/p>\n<pre><code>code so far<\/code><\/pre>/);
  assert.equal(md('half **bold'), '<p>half **bold</p>');
  assert.equal(md(''), '');
});

const PROM = `# HELP owlet_answers_total answers by tier
# TYPE owlet_answers_total counter
owlet_answers_total{tier="cache"} 86
owlet_answers_total{tier="local"} 4
owlet_answers_total{tier="web-light"} 6
owlet_answers_total{tier="web-deep"} 4
# TYPE owlet_answer_duration_seconds histogram
owlet_answer_duration_seconds_bucket{tier="cache",le="0.005"} 86
owlet_answer_duration_seconds_bucket{tier="cache",le="0.1"} 86
owlet_answer_duration_seconds_bucket{tier="cache",le="0.5"} 86
owlet_answer_duration_seconds_bucket{tier="cache",le="+Inf"} 86
owlet_answer_duration_seconds_bucket{tier="web-deep",le="0.005"} 0
owlet_answer_duration_seconds_bucket{tier="web-deep",le="0.1"} 4
owlet_answer_duration_seconds_bucket{tier="web-deep",le="0.5"} 12
owlet_answer_duration_seconds_bucket{tier="web-deep",le="+Inf"} 14
owlet_answer_duration_seconds_sum{tier="web-deep"} 3.2
owlet_answer_duration_seconds_count{tier="web-deep"} 14
owlet_process_resident_memory_bytes 1.2345e+08
`;

test('status glance figures from Prometheus text', () => {
  const s = parseProm(PROM);
  assert.ok(s.some((x) => x.name === 'owlet_answers_total' && x.labels.tier === 'web-light' && x.value === 6));
  const f = glanceFigures(s);
  assert.equal(f.answers, 100);
  assert.equal(f.online, 0.10);
  assert.equal(f.cache, 0.86);
  assert.equal(f.memory, 123450000);
  // 100 observations; rank 99 lies in (0.5, +Inf] (98 at or below 0.5): Prometheus answers the
  // highest finite bound, 0.5 s.
  assert.equal(f.p99_s, 0.5);
  // All within 0.1 s: interpolated inside (0.005, 0.1].
  const g = glanceFigures(parseProm('owlet_answer_duration_seconds_bucket{tier="local",le="0.005"} 0\n' +
    'owlet_answer_duration_seconds_bucket{tier="local",le="0.1"} 100\nowlet_answer_duration_seconds_bucket{tier="local",le="+Inf"} 100\n'));
  assert.ok(Math.abs(g.p99_s - (0.005 + 0.095 * 0.99)) < 1e-9, String(g.p99_s));
  // No answers yet: no ratios (the UI shows a dash), not 0 %.
  const empty = glanceFigures(parseProm('owlet_process_resident_memory_bytes 5\n'));
  assert.equal(empty.online, null);
  assert.equal(empty.cache, null);
  assert.equal(empty.p99_s, null);
});
