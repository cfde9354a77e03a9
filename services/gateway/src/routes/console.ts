import { readdirSync, readFileSync } from "node:fs";
import { resolve } from "node:path";
import { type AuthKeys, mintToken } from "@semente/platform/auth";
import { SementeError } from "@semente/core/errors";
import type { Handler } from "../http/context.ts";
import { staticAsset } from "./static.ts";

/** Where the console's sources live (bundled by `bun build` on first request, then cached). */
export const CONSOLE_DIR = resolve(import.meta.dir, "../../console");
const PROFILES_DIR = resolve(import.meta.dir, "../../../../configs/seed_profiles/dev");

/** Dependencies of the console routes. */
export interface ConsoleDeps {
  /** The gateway's deployment environment: the dev profiles are offered only in `dev`. */
  environment: string;
  keys: AuthKeys;
  /** Mint dev tokens from the sign-in page (isolated dev only). */
  devTokens: boolean;
}

/** Same-origin only: the console loads nothing from anywhere else (offline, no CDN). */
const CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' blob: data:; " +
  "form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

const asset = (body: string | Uint8Array, type: string) => staticAsset(body, type, CSP);

let bundle: Promise<string> | undefined;

/** The console's JavaScript, minified for the browser. */
export function consoleBundle(): Promise<string> {
  bundle ??= (async () => {
    const out = await Bun.build({
      entrypoints: [resolve(CONSOLE_DIR, "app.ts")],
      target: "browser",
      minify: true,
    });
    const js = out.outputs[0];
    if (!out.success || js === undefined) {
      bundle = undefined;
      throw new SementeError("INTERNAL", `console bundle failed: ${out.logs.map(String).join("; ")}`);
    }
    return js.text();
  })();
  return bundle;
}

/** `GET /console`, `/console/app.js`, `/console/app.css`, `/console/config.json`, `/console/profiles.json`. */
export function consoleRoutes(deps: ConsoleDeps): Record<string, Handler> {
  const html = readFileSync(resolve(CONSOLE_DIR, "index.html"), "utf8");
  const css = readFileSync(resolve(CONSOLE_DIR, "app.css"), "utf8");
  const profiles =
    deps.environment === "dev"
      ? readdirSync(PROFILES_DIR)
          .filter((f) => f.endsWith(".yaml"))
          .sort()
          .map((f) => ({ name: f.replace(/\.yaml$/, ""), yaml: readFileSync(resolve(PROFILES_DIR, f), "utf8") }))
      : [];
  const devTokens = deps.devTokens && deps.keys.secret !== undefined;
  return {
    "/console": async () => asset(html, "text/html; charset=utf-8"),
    "/console/app.js": async () => asset(await consoleBundle(), "text/javascript; charset=utf-8"),
    "/console/app.css": async () => asset(css, "text/css; charset=utf-8"),
    "/console/config.json": async () => asset(JSON.stringify({ dev_tokens: devTokens }), "application/json"),
    "/console/profiles.json": async () => asset(JSON.stringify(profiles), "application/json"),
  };
}

/**
 * `POST /console/dev-token`: an admin token for the dev environment, valid one hour, minted with the
 * gateway's HS256 secret. Registered only when the gateway runs in isolated dev.
 */
export function devTokenRoute(deps: ConsoleDeps): Handler {
  return async () => {
    if (!deps.devTokens || deps.keys.secret === undefined) throw new SementeError("NOT_FOUND", "no such route");
    const token = await mintToken(deps.keys, {
      subject: "console-dev",
      roles: ["admin"],
      tenants: ["*"],
      environments: ["dev"],
      ttlSeconds: 3_600,
      // Not generation code: a token's issue time is the real clock.
      issuedAt: Math.floor(Date.now() / 1000),
    });
    return { status: 201, json: { token }, headers: { "Cache-Control": "no-store" } };
  };
}
