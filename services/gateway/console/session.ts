/** The signed-in user's bearer token (sessionStorage, this tab only) and what the console shows of its claims. */

export type Json = Record<string, unknown>;

export const TOKEN_KEY = "semente.token";

export function token(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

/** The token's claims (display only: the gateway decides what is allowed). */
function claims(): { sub?: string; roles: string[] } {
  const t = token();
  try {
    const part = (t ?? "").split(".")[1] ?? "";
    const json = JSON.parse(atob(part.replace(/-/g, "+").replace(/_/g, "/"))) as Json;
    return { sub: String(json.sub ?? ""), roles: Array.isArray(json.roles) ? (json.roles as string[]) : [] };
  } catch {
    return { roles: [] };
  }
}

export const canCancel = () => claims().roles.some((r) => r === "admin" || r === "seed-runner");
/** Only admins may replay a dead batch (the gateway refuses anyone else with 403). */
export const canReplay = () => claims().roles.includes("admin");
