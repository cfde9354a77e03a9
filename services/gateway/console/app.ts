/**
 * The run console (served at /console). Plain TypeScript and the DOM, bundled by `bun build` when
 * the gateway starts: no framework, no CDN. Every call goes to the gateway's public API with the
 * bearer token the user signed in with (kept in sessionStorage for the tab only).
 *
 * This module routes by the location hash; the views live beside it (sign-in, runs-view, run-view).
 */
import { runView } from "./run-view.ts";
import { runsView } from "./runs-view.ts";
import { TOKEN_KEY, token } from "./session.ts";
import { signInView } from "./sign-in.ts";
import { navigate, setRouter, signOut } from "./ui.ts";

async function route(): Promise<void> {
  navigate();
  const hash = location.hash.replace(/^#/, "") || "/runs";
  if (token() === null) return signInView(route);
  signOut.hidden = false;
  const [path, query] = hash.split("?");
  const m = /^\/runs\/([0-9a-f-]{36})$/.exec(path ?? "");
  if (m !== null) return runView(m[1] as string);
  return runsView(new URLSearchParams(query ?? ""));
}

setRouter(route);
signOut.addEventListener("click", () => {
  sessionStorage.removeItem(TOKEN_KEY);
  location.hash = "#/";
  void route();
});
window.addEventListener("hashchange", () => void route());
void route();
