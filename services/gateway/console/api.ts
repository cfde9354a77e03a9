/** The gateway's public API as the console calls it: the typed client, its errors, and the run's shape. */
import createClient from "openapi-fetch";
import type { paths } from "../../../packages/core/src/contracts/seed-data-api.gen.ts";
import { type Json, TOKEN_KEY, token } from "./session.ts";

export interface Run {
  id: string;
  tenant: string;
  environment: string;
  mode: string;
  dry_run: boolean;
  state: string;
  created_at: string;
  dataset_digest: string | null;
  progress: { rows_planned: number | null; rows_written: number };
}

export const TERMINAL = new Set(["completed", "failed", "cancelled", "expired", "aborted"]);
export const STATES = ["queued", "admitted", "planning", "running", ...TERMINAL];
export const ENVIRONMENTS = ["dev", "homolog", "staging", "perf", "prod"];
export const MODES = ["baseline", "load", "dr"];

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

/** The gateway's API, typed by the contract (openapi-fetch over the generated `paths`). */
export const client = createClient<paths>({ baseUrl: location.origin });
client.use({
  onRequest({ request }) {
    const t = token();
    if (t !== null) request.headers.set("Authorization", `Bearer ${t}`);
    return request;
  },
});

/** The data of a call, or an ApiError with the problem's detail (a 401 also signs out). */
export function ok<T>(result: { data?: T; error?: unknown; response: Response }): T {
  const { response } = result;
  if (response.status < 400 && result.data !== undefined) return result.data;
  const p = (result.error ?? {}) as Json;
  if (response.status === 401) sessionStorage.removeItem(TOKEN_KEY);
  throw new ApiError(response.status, String(p.detail ?? p.title ?? `HTTP ${response.status}`));
}
