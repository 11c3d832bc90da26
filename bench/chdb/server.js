// chDB (ClickHouse 26.x in process) behind a tiny HTTP server, so the query benchmark asks it exactly as it asks the
// collector: one POST per query, the answer as CSV. Usage: node server.js PORT
// Installed by `npm ci` in this directory (package-lock.json pins chdb and its native library).
const http = require("http");
const { Session } = require("chdb");
const port = Number(process.argv[2] || 8123);
const session = new Session();
http.createServer((req, res) => {
  let body = "";
  req.on("data", (chunk) => (body += chunk));
  req.on("end", () => {
    try {
      const out = session.query(body, "CSV");
      res.writeHead(200, { "Content-Type": "text/csv" });
      res.end(out);
    } catch (e) {
      res.writeHead(400);
      res.end(String(e && e.message ? e.message : e));
    }
  });
}).listen(port, "127.0.0.1", () => console.log("ready"));
