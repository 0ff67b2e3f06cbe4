// A static server that compresses what it sends, as static hosts do (Node's http + zlib, no
// package): brotli (quality 11) to a browser that accepts it, else gzip (level 9), else the
// file as it is; ENCODING=gzip or ENCODING=br sends only that one (and identity to a client
// that accepts neither). Every file is compressed when the server is made (brotli 11 takes
// seconds on a large wasm: not a cost a static host's visitor pays) and kept in memory.
//
//   node scripts/serve-compressed.js [DIST] [PORT]      # default: dist, 8080; 127.0.0.1 only
//
// measure-first-load.js uses `createServer` from here.
const http = require("http");
const fs = require("fs");
const path = require("path");
const zlib = require("zlib");

const types = {
  ".html": "text/html; charset=utf-8",
  ".js": "text/javascript",
  ".css": "text/css",
  ".wasm": "application/wasm",
  ".svg": "image/svg+xml",
  ".png": "image/png",
  ".json": "application/json",
};

const compressors = {
  br: (b) =>
    zlib.brotliCompressSync(b, {
      params: { [zlib.constants.BROTLI_PARAM_QUALITY]: 11, [zlib.constants.BROTLI_PARAM_SIZE_HINT]: b.length },
    }),
  gzip: (b) => zlib.gzipSync(b, { level: 9 }),
};

// A server of `dist`; `onSent(path, bytes, encoding)` hears of every response's body.
function createServer(dist, { encoding = process.env.ENCODING, onSent = () => {} } = {}) {
  const root = path.resolve(dist);
  const cache = new Map();
  const offered = encoding ? [encoding] : ["br", "gzip"];
  const walk = (dir) =>
    fs.readdirSync(dir, { withFileTypes: true }).flatMap((e) =>
      e.isDirectory() ? walk(path.join(dir, e.name)) : [path.join(dir, e.name)],
    );
  for (const file of walk(root)) {
    const raw = fs.readFileSync(file);
    for (const e of offered.filter((e) => compressors[e])) cache.set(`${e} ${file}`, compressors[e](raw));
  }
  return http.createServer((req, res) => {
    const url = new URL(req.url, "http://x");
    const rel = url.pathname.endsWith("/") ? url.pathname + "index.html" : decodeURIComponent(url.pathname);
    const file = path.join(root, path.normalize(rel));
    if (!file.startsWith(root) || !fs.existsSync(file) || fs.statSync(file).isDirectory()) {
      res.writeHead(404);
      res.end();
      return;
    }
    const accepted = (req.headers["accept-encoding"] || "").split(",").map((e) => e.trim().split(";")[0]);
    const chosen = offered.find((e) => compressors[e] && accepted.includes(e));
    const key = `${chosen || "identity"} ${file}`;
    let body = cache.get(key);
    if (!body) {
      const raw = fs.readFileSync(file);
      body = chosen ? compressors[chosen](raw) : raw;
      cache.set(key, body);
    }
    onSent(rel, body.length, chosen || "identity");
    const headers = {
      "content-type": types[path.extname(file)] || "application/octet-stream",
      "cache-control": "no-store",
      vary: "accept-encoding",
    };
    if (chosen) headers["content-encoding"] = chosen;
    res.writeHead(200, headers);
    res.end(body);
  });
}

module.exports = { createServer };

if (require.main === module) {
  const dist = process.argv[2] || path.join(__dirname, "..", "dist");
  const port = parseInt(process.argv[3] || "8080", 10);
  if (!fs.existsSync(path.join(dist, "index.html"))) {
    console.error(`no ${dist}/index.html: run 'trunk build --release' first`);
    process.exit(2);
  }
  createServer(dist, {
    onSent: (rel, bytes, enc) => console.log(`${rel} ${bytes} ${enc}`),
  }).listen(port, "127.0.0.1", () =>
    console.log(`serving ${path.resolve(dist)} compressed at http://127.0.0.1:${port}/`),
  );
}
