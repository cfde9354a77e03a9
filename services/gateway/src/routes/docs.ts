import { readFileSync } from "node:fs";
import { dirname, resolve } from "node:path";
import type { Handler } from "../http/context.ts";
import { staticAsset } from "./static.ts";

const PAGE_DIR = resolve(import.meta.dir, "../../docs-page");
const CONTRACT = resolve(import.meta.dir, "../../../../contracts/seed-data.openapi.yaml");

/** Same-origin only; Swagger UI sets inline styles and draws icons as data: URIs. */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self' 'unsafe-inline'; connect-src 'self'; " +
  "img-src 'self' data:; base-uri 'none'; frame-ancestors 'none'";

const asset = (body: string | Uint8Array, type: string) => staticAsset(body, type, CSP);

/**
 * `GET /docs` and its assets: the OpenAPI contract rendered by Swagger UI, served from the
 * `swagger-ui-dist` package in node_modules (no CDN). Files are read once, at gateway start.
 */
export function docsRoutes(): Record<string, Handler> {
  const dist = dirname(Bun.resolveSync("swagger-ui-dist/package.json", import.meta.dir));
  const files = {
    html: readFileSync(resolve(PAGE_DIR, "index.html")),
    init: readFileSync(resolve(PAGE_DIR, "init.js")),
    bundle: readFileSync(resolve(dist, "swagger-ui-bundle.js")),
    css: readFileSync(resolve(dist, "swagger-ui.css")),
    contract: readFileSync(CONTRACT),
  };
  return {
    "/docs": async () => asset(files.html, "text/html; charset=utf-8"),
    "/docs/init.js": async () => asset(files.init, "text/javascript; charset=utf-8"),
    "/docs/swagger-ui-bundle.js": async () => asset(files.bundle, "text/javascript; charset=utf-8"),
    "/docs/swagger-ui.css": async () => asset(files.css, "text/css; charset=utf-8"),
    "/docs/openapi.yaml": async () => asset(files.contract, "application/yaml"),
  };
}
