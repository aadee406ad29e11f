import type { Command } from 'commander';
import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import { extname, join, resolve, sep } from 'node:path';
import { ConfigError, NotFoundError } from '../../errors.js';
import { packageRoot } from '../../config/load-node.js';

/*
 * `spikeflow serve`: a small static file server for the browser playground
 * (dist/web, built by `npm run build:web`). It listens on 127.0.0.1 only —
 * the playground is a local tool, and a server reachable from the network
 * would hand files to anyone who asks — and serves GET/HEAD of files under
 * its folder, nothing else.
 */

/** The loopback address, the only one the server binds. */
export const SERVE_HOST = '127.0.0.1';
export const DEFAULT_SERVE_PORT = 8080;

const MIME: Readonly<Record<string, string>> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.ico': 'image/x-icon',
  '.wasm': 'application/wasm',
  '.map': 'application/json; charset=utf-8',
  '.bin': 'application/octet-stream',
  '.nir': 'application/x-hdf5',
  '.txt': 'text/plain; charset=utf-8',
};

export interface ServeOptions {
  /** Folder to serve (default: the package's dist/web). */
  dir?: string;
  /** TCP port; 0 picks a free one (default 8080). */
  port?: number;
}

export interface RunningServer {
  /** `http://127.0.0.1:<port>/` */
  url: string;
  port: number;
  dir: string;
  server: Server;
  close(): Promise<void>;
}

/** The playground's default folder: what `npm run build:web` writes. */
export function defaultWebDir(): string {
  return join(packageRoot(), 'dist', 'web');
}

/**
 * The file a request path names inside `root`, or null when it is outside
 * (`..`, encoded or not) or malformed. A folder stands for its index.html.
 */
export function resolveRequestPath(root: string, urlPath: string): string | null {
  let path: string;
  try {
    path = decodeURIComponent(new URL(urlPath, 'http://x').pathname);
  } catch {
    return null;
  }
  if (path.includes('\0')) return null;
  const file = resolve(root, '.' + path);
  if (file !== root && !file.startsWith(root + sep)) return null;
  return path.endsWith('/') ? join(file, 'index.html') : file;
}

/** Start serving `dir` on 127.0.0.1; resolves once listening. */
export async function startServer(opts: ServeOptions = {}): Promise<RunningServer> {
  const dir = resolve(opts.dir ?? defaultWebDir());
  const port = opts.port ?? DEFAULT_SERVE_PORT;
  if (!Number.isInteger(port) || port < 0 || port > 65535) throw new ConfigError(`--port: expected an integer in 0..65535, got ${port}`);
  if (!existsSync(join(dir, 'index.html'))) {
    throw new NotFoundError(`${dir} has no index.html: build the playground first (npm run build:web)`);
  }
  const server = createServer((req, res) => {
    if (req.method !== 'GET' && req.method !== 'HEAD') {
      res.writeHead(405, { allow: 'GET, HEAD' }).end();
      return;
    }
    let file = resolveRequestPath(dir, req.url ?? '/');
    if (file && existsSync(file) && statSync(file).isDirectory()) file = join(file, 'index.html');
    if (!file || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404, { 'content-type': 'text/plain; charset=utf-8' }).end('not found\n');
      return;
    }
    res.writeHead(200, {
      'content-type': MIME[extname(file).toLowerCase()] ?? 'application/octet-stream',
      'content-length': statSync(file).size,
      // The hashed assets never change; index.html and the digits are revalidated.
      'cache-control': file.includes(`${sep}assets${sep}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
    });
    if (req.method === 'HEAD') res.end();
    else createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok, fail) => {
    server.once('error', (e: NodeJS.ErrnoException) =>
      fail(e.code === 'EADDRINUSE' ? new ConfigError(`--port: ${SERVE_HOST}:${port} is already in use (choose another with --port)`) : e),
    );
    server.listen(port, SERVE_HOST, () => ok());
  });
  const address = server.address();
  const bound = typeof address === 'object' && address ? address.port : port;
  return {
    url: `http://${SERVE_HOST}:${bound}/`,
    port: bound,
    dir,
    server,
    close: () => new Promise<void>((ok) => server.close(() => ok())),
  };
}

export function registerServeCommand(program: Command): void {
  program
    .command('serve')
    .description(`serve the browser playground (npm run build:web first) on ${SERVE_HOST} only`)
    .option('-p, --port <n>', `port (0: any free one)`, String(DEFAULT_SERVE_PORT))
    .option('-d, --dir <folder>', 'folder to serve (default: the built playground, dist/web)')
    .action(async (opts: { port: string; dir?: string }) => {
      if (!/^\d+$/.test(opts.port)) throw new ConfigError(`--port: expected an integer in 0..65535, got '${opts.port}'`);
      const s = await startServer({ port: Number(opts.port), ...(opts.dir !== undefined ? { dir: opts.dir } : {}) });
      process.stdout.write(`spikeflow playground: ${s.url} (serving ${s.dir}; Ctrl-C stops)\n`);
      // Serve until interrupted: the command's promise stays pending while the server listens.
      await new Promise<void>((ok) => {
        const stop = (): void => void s.close().then(ok);
        process.once('SIGINT', stop);
        process.once('SIGTERM', stop);
      });
    });
}
