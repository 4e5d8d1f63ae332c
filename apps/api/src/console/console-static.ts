import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import helmet from 'helmet';

/** Paths the console never answers: the API, its OpenAPI page and documents (`/docs`, `/docs-json`,
 * `/docs-yaml`) and the health probe stay the API's. */
const NOT_CONSOLE = /^\/(api|docs|health)(\/|-|$)/;

/**
 * The console's Content-Security-Policy. The Vite bundle loads only same-origin scripts, styles and
 * fonts (no inline script, no CDN); React sets styles through the CSSOM, which CSP allows.
 */
export const CONSOLE_CSP = {
  'default-src': ["'self'"],
  'script-src': ["'self'"],
  'style-src': ["'self'"],
  'img-src': ["'self'", 'data:'],
  'font-src': ["'self'"],
  'connect-src': ["'self'"],
  'object-src': ["'none'"],
  'base-uri': ["'none'"],
  'form-action': ["'self'"],
  'frame-ancestors': ["'none'"],
};

/** Where `npm run build` writes the console: `dist/console` under the project root. */
export function defaultConsoleDir(from = __dirname): string {
  let dir = from;
  while (!existsSync(join(dir, 'package.json')) && dirname(dir) !== dir) dir = dirname(dir);
  return join(dir, 'dist', 'console');
}

/**
 * Serves the built console at `/`: hashed files under `/assets/` with a year-long immutable cache,
 * `index.html` (never cached) for every other GET that asks for a page (SPA routes), each with the
 * strict CSP and the usual security headers. Requests for the API, `/docs` and `/health` pass through.
 */
export function consoleStatic(dir: string): RequestHandler {
  const indexPath = join(dir, 'index.html');
  const security = helmet({
    contentSecurityPolicy: { useDefaults: false, directives: CONSOLE_CSP },
    crossOriginEmbedderPolicy: false,
  });
  const assets = express.static(dir, {
    index: false,
    fallthrough: true,
    setHeaders: (res, path) => {
      res.setHeader(
        'Cache-Control',
        path.includes(`${join(dir, 'assets')}`) ? 'public, max-age=31536000, immutable' : 'no-cache',
      );
    },
  });
  const page = (_req: Request, res: Response, next: NextFunction) => {
    if (!existsSync(indexPath)) return next();
    res.sendFile(indexPath, { cacheControl: false, headers: { 'Cache-Control': 'no-cache' } }, (error) => {
      if (error && !res.headersSent) next(error);
    });
  };
  return (req, res, next) => {
    if ((req.method !== 'GET' && req.method !== 'HEAD') || NOT_CONSOLE.test(req.path)) return next();
    security(req, res, (error?: unknown) => {
      if (error) return next(error);
      assets(req, res, () => {
        // A missing hashed file is a 404, not the page (a stale tab must not run HTML as a script).
        if (req.path.startsWith('/assets/') || !req.accepts('html')) return next();
        page(req, res, next);
      });
    });
  };
}
