/**
 * The limit a scrape can approach: a bare node:http server in its own process that answers every
 * request with the same pre-rendered bytes and headers the exporter sent, doing no work per request.
 */
import { readFile } from 'node:fs/promises';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { gzipSync } from 'node:zlib';
import { serveIpc } from './children.js';

let server: Server | undefined;

serveIpc(async (command) => {
  switch (command.cmd) {
    case 'serve': {
      const body = await readFile(String(command.file));
      const headers = { ...(command.headers as Record<string, string>), 'Content-Length': String(body.length) };
      server = createServer((req, res) => {
        req.resume();
        res.writeHead(200, headers);
        res.end(body);
      });
      // As the exporter's own server: idle keep-alive sockets close after 5 s.
      server.keepAliveTimeout = 5_000;
      const listening = server;
      await new Promise<void>((resolve) => listening.listen(0, '127.0.0.1', resolve));
      return (listening.address() as AddressInfo).port;
    }
    case 'cpu': {
      const used = process.cpuUsage();
      return used.user + used.system;
    }
    case 'deflate': {
      // The least a gzip scrape must compute afresh: the lines that change at every scrape, compressed.
      const text = await readFile(String(command.file));
      const times: number[] = [];
      let compressed = 0;
      for (let i = 0; i < Number(command.repeat ?? 5); i++) {
        const t0 = process.cpuUsage();
        compressed = gzipSync(text, { level: Number(command.level ?? 1) }).length;
        const used = process.cpuUsage(t0);
        times.push((used.user + used.system) / 1000);
      }
      times.sort((a, b) => a - b);
      return { cpuMs: times[Math.floor(times.length / 2)]!, inputBytes: text.length, compressedBytes: compressed };
    }
    case 'stop':
      server?.closeAllConnections();
      server?.close();
      setImmediate(() => process.exit(0));
      return true;
    default:
      throw new Error(`unknown command ${String(command.cmd)}`);
  }
});
