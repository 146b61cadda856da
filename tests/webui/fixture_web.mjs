// A tiny web on loopback for the UI test: a SearxNG-shaped JSON search API
// (GET /search?q=..&format=json) and the news pages its results point to, all
// dated today so a time-sensitive question finds fresh sources.
import http from 'node:http';

const today = new Date().toISOString().slice(0, 10);

const PAGES = [
  {
    path: '/news/owl-festival',
    title: 'Owl festival opens today in Lindenfeld',
    snippet: 'The owl festival opened today with a record 40 barn owls and a night walk for families.',
    body: [
      'The annual owl festival in Lindenfeld opened today with a record forty barn owls on show.',
      'Volunteers from the owl rescue centre said the birds had all been released back into the wild after treatment.',
      'A night walk for families starts at eight in the evening, when the tawny owls begin to call.',
    ],
  },
  {
    path: '/news/snowy-owl-sighting',
    title: 'Rare snowy owl sighted on the coast',
    snippet: 'Birdwatchers reported a rare snowy owl on the northern coast this morning.',
    body: [
      'Birdwatchers reported a rare snowy owl on the northern coast this morning, far south of its Arctic range.',
      'Snowy owls wander south in years when lemmings are scarce, the regional bird society said.',
      'Visitors are asked to keep a distance of at least fifty metres so the owl can rest and hunt.',
    ],
  },
  {
    path: '/news/owl-boxes',
    title: 'Town council funds 200 new owl nest boxes',
    snippet: 'The council voted today to fund two hundred nest boxes for barn owls on local farms.',
    body: [
      'The town council voted today to fund two hundred new nest boxes for barn owls on local farms.',
      'Farmers say a single pair of barn owls can catch more than a thousand rodents in one breeding season.',
      'The boxes will be installed before the spring breeding season begins.',
    ],
  },
];

function pageHtml(p) {
  return `<!doctype html><html lang="en"><head><meta charset="utf-8"><title>${p.title}</title>
<meta property="article:published_time" content="${today}T07:00:00Z"></head>
<body><nav><a href="/">Home</a> <a href="/news">News</a> <a href="/about">About</a></nav>
<main><article><h1>${p.title}</h1><p><time datetime="${today}">${today}</time></p>
${p.body.map((s) => `<p>${s}</p>`).join('\n')}
</article></main><footer>Owl Daily fixture site</footer></body></html>`;
}

export async function startFixtureWeb() {
  let hits = 0;
  const searches = [];
  const server = http.createServer((req, res) => {
    hits++;
    const url = new URL(req.url, 'http://127.0.0.1');
    const base = `http://127.0.0.1:${server.address().port}`;
    if (url.pathname === '/search') {
      searches.push(url.searchParams.get('q') || '');
      if (url.searchParams.get('format') !== 'json') {
        res.writeHead(403, { 'Content-Type': 'text/plain' });
        return res.end('format=json only');
      }
      const results = PAGES.map((p) => ({
        url: base + p.path,
        title: p.title,
        content: p.snippet,
        publishedDate: `${today}T07:00:00Z`,
        engine: 'fixture',
      }));
      res.writeHead(200, { 'Content-Type': 'application/json' });
      return res.end(JSON.stringify({ query: url.searchParams.get('q'), number_of_results: results.length, results }));
    }
    const page = PAGES.find((p) => p.path === url.pathname);
    if (page) {
      res.writeHead(200, { 'Content-Type': 'text/html; charset=utf-8' });
      return res.end(pageHtml(page));
    }
    res.writeHead(404, { 'Content-Type': 'text/plain' });
    res.end('not found');
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${server.address().port}`,
    pages: PAGES,
    get hits() { return hits; },
    searches,
    close: () => new Promise((resolve) => { server.closeAllConnections?.(); server.close(resolve); }),
  };
}
