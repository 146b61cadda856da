// A small Markdown renderer for model output, which is untrusted: every piece of
// text is HTML-escaped before any markup is added, links are only http(s), and
// no raw HTML from the input survives. Covers what answers use: paragraphs,
// headings, lists, quotes, code (fenced and inline), tables, emphasis, links,
// and [n] citations, which become links to source card n.
//
//   renderMarkdown(text, { citeCount, citeHref: n => '#src-1' }) -> HTML string
//
// It is also called on partial text while an answer streams, so an unclosed
// fence or emphasis must render sensibly rather than swallow what follows.

const ESC = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };
export function escapeHtml(s) {
  return String(s).replace(/[&<>"']/g, (c) => ESC[c]);
}

// Placeholders keep already-built HTML (code spans, links) away from the later
// inline rules. \u0001 and \u0002 are removed from the input first, so input
// cannot forge one.
const PH_OPEN = '\u0001', PH_CLOSE = '\u0002';

function inline(text, opts, saved) {
  const keep = (html) => { saved.push(html); return PH_OPEN + (saved.length - 1) + PH_CLOSE; };
  let s = text;
  // Code spans first: nothing inside them is markup.
  s = s.replace(/(`+)([^`]|[^`][\s\S]*?[^`])\1(?!`)/g, (_, __, code) => keep('<code>' + escapeHtml(code.trim()) + '</code>'));
  s = escapeHtml(s);
  // [text](http://...) — the URL was escaped with the rest, so it is attribute-safe.
  s = s.replace(/\[([^\]\n]+)\]\((https?:\/\/[^\s()]+)\)/g, (_, label, url) =>
    keep(`<a href="${url}" target="_blank" rel="noopener noreferrer">${label}</a>`));
  // Bare URLs; they end before an escaped quote or bracket and before trailing punctuation.
  s = s.replace(/(^|[\s(])(https?:\/\/(?:(?!&quot;|&#39;|&lt;|&gt;)[^\s<()\u0001])*[^\s<()\u0001.,;:!?&])/g, (_, pre, url) =>
    pre + keep(`<a href="${url}" target="_blank" rel="noopener noreferrer">${url}</a>`));
  // Citations: [1], [2, 3], [1][2]. Numbers beyond the known sources stay text.
  s = s.replace(/\[(\d{1,3}(?:\s*[,，]\s*\d{1,3})*)\]/g, (whole, list) => {
    const nums = list.split(/\s*[,，]\s*/).map(Number);
    if (opts.citeCount != null && nums.some((n) => n < 1 || n > opts.citeCount)) return whole;
    return nums.map((n) =>
      keep(`<a class="cite" href="${escapeHtml(opts.citeHref ? opts.citeHref(n) : '#')}" data-n="${n}">[${n}]</a>`)).join('');
  });
  s = s.replace(/\*\*(?=\S)([\s\S]*?\S)\*\*/g, '<strong>$1</strong>');
  s = s.replace(/(^|[^\w])__(?=\S)([\s\S]*?\S)__(?!\w)/g, '$1<strong>$2</strong>');
  s = s.replace(/(^|[^*\w])\*(?=[^\s*])([^*\n]*?[^\s*])\*(?!\*)/g, '$1<em>$2</em>');
  s = s.replace(/(^|[^\w])_(?=[^\s_])([^_\n]*?[^\s_])_(?!\w)/g, '$1<em>$2</em>');
  s = s.replace(/~~(?=\S)([\s\S]*?\S)~~/g, '<del>$1</del>');
  return s;
}

function restore(html, saved) {
  // Placeholders can nest (a citation inside a link label), so repeat until none remain.
  for (let i = 0; i < 4 && html.includes(PH_OPEN); i++)
    html = html.replace(/\u0001(\d+)\u0002/g, (_, i2) => saved[Number(i2)] ?? '');
  return html;
}

const RE_FENCE = /^\s{0,3}(```+|~~~+)\s*([\w+-]*)\s*$/;
const RE_HEADING = /^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$/;
const RE_HR = /^\s{0,3}([-*_])(\s*\1){2,}\s*$/;
const RE_QUOTE = /^\s{0,3}>\s?(.*)$/;
const RE_ITEM = /^(\s*)([-*+]|\d{1,9}[.)])\s+(.*)$/;
const RE_TABLE_SEP = /^\s*\|?\s*:?-{2,}:?\s*(\|\s*:?-{2,}:?\s*)*\|?\s*$/;

function splitRow(line) {
  let l = line.trim();
  if (l.startsWith('|')) l = l.slice(1);
  if (l.endsWith('|')) l = l.slice(0, -1);
  return l.split('|').map((c) => c.trim());
}

function blocks(lines, opts, saved) {
  const out = [];
  let para = [];
  const flush = () => {
    if (para.length) out.push('<p>' + para.map((l) => inline(l, opts, saved)).join('<br>') + '</p>');
    para = [];
  };
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    let m;
    if ((m = RE_FENCE.exec(line))) {
      flush();
      const fence = m[1];
      const code = [];
      for (i++; i < lines.length && !lines[i].trim().startsWith(fence); i++) code.push(lines[i]);
      const lang = m[2] ? ` class="language-${escapeHtml(m[2])}"` : '';
      out.push(`<pre><code${lang}>${escapeHtml(code.join('\n'))}</code></pre>`);
    } else if (!line.trim()) {
      flush();
    } else if ((m = RE_HEADING.exec(line))) {
      flush();
      const level = Math.min(6, m[1].length + 2);  // h1/h2 belong to the page itself
      out.push(`<h${level}>${inline(m[2], opts, saved)}</h${level}>`);
    } else if (RE_HR.test(line)) {
      flush();
      out.push('<hr>');
    } else if (RE_QUOTE.test(line)) {
      flush();
      const quoted = [];
      for (; i < lines.length && (m = RE_QUOTE.exec(lines[i])); i++) quoted.push(m[1]);
      i--;
      out.push('<blockquote>' + blocks(quoted, opts, saved) + '</blockquote>');
    } else if ((m = RE_ITEM.exec(line))) {
      flush();
      const ordered = /\d/.test(m[2]);
      const start = ordered ? parseInt(m[2], 10) : 1;
      const items = [];
      for (; i < lines.length; i++) {
        const l = lines[i];
        const im = RE_ITEM.exec(l);
        if (im && /\d/.test(im[2]) === ordered) items.push([im[3]]);
        else if (l.trim() && /^\s+/.test(l) && items.length) items[items.length - 1].push(l.trim());
        else break;
      }
      i--;
      const tag = ordered ? 'ol' : 'ul';
      const startAttr = ordered && start !== 1 ? ` start="${start}"` : '';
      out.push(`<${tag}${startAttr}>` + items.map((it) => '<li>' + it.map((l) => inline(l, opts, saved)).join('<br>') + '</li>').join('') + `</${tag}>`);
    } else if (line.includes('|') && i + 1 < lines.length && RE_TABLE_SEP.test(lines[i + 1])) {
      flush();
      const head = splitRow(line);
      const rows = [];
      for (i += 2; i < lines.length && lines[i].includes('|') && lines[i].trim(); i++) rows.push(splitRow(lines[i]));
      i--;
      const cell = (tag, c) => `<${tag}>${inline(c, opts, saved)}</${tag}>`;
      out.push('<div class="table"><table><thead><tr>' + head.map((c) => cell('th', c)).join('') + '</tr></thead><tbody>' +
        rows.map((r) => '<tr>' + r.map((c) => cell('td', c)).join('') + '</tr>').join('') + '</tbody></table></div>');
    } else {
      para.push(line);
    }
  }
  flush();
  return out.join('\n');
}

export function renderMarkdown(text, opts = {}) {
  const clean = String(text ?? '').replace(/[\u0001\u0002]/g, '').replace(/\r\n?/g, '\n');
  const saved = [];
  return restore(blocks(clean.split('\n'), opts, saved), saved);
}
