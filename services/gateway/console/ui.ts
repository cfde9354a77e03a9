/** The console's shell: building elements, the status line, swapping the main view, and reporting failures. */
import { ApiError } from "./api.ts";

const main = document.getElementById("main") as HTMLElement;
const status = document.getElementById("status") as HTMLElement;
export const signOut = document.getElementById("sign-out") as HTMLButtonElement;
let stopStream: (() => void) | null = null;
/** Bumped on every navigation: a view that finished loading after the user moved on is dropped. */
let generation = 0;
/** Routes again (set by the app: a 401 sends the user back to sign in). */
let reroute: () => Promise<void> = async () => {};

export function setRouter(route: () => Promise<void>): void {
  reroute = route;
}

/** Starts a navigation and returns its number. */
export function navigate(): number {
  generation += 1;
  return generation;
}

/** The number of the latest navigation. */
export function currentNavigation(): number {
  return generation;
}

/** What stops the current view's event stream when the user leaves it. */
export function onLeave(stop: () => void): void {
  stopStream = stop;
}

/** Builds an element: `h("button", { type: "button" }, "Go")`. */
export function h<K extends keyof HTMLElementTagNameMap>(
  tag: K,
  attrs: Record<string, string | boolean | ((e: Event) => void)> = {},
  ...children: (Node | string | null)[]
): HTMLElementTagNameMap[K] {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) {
    if (typeof v === "function") el.addEventListener(k.slice(2), v);
    else if (v === true) el.setAttribute(k, "");
    else if (v !== false) el.setAttribute(k, v);
  }
  for (const c of children) if (c !== null) el.append(c);
  return el;
}

export function say(text: string, kind: "info" | "error" = "info"): void {
  status.textContent = text;
  status.dataset.kind = kind;
}

export async function guard(action: () => Promise<void>): Promise<void> {
  try {
    await action();
  } catch (error) {
    say(error instanceof Error ? error.message : String(error), "error");
    if (error instanceof ApiError && error.status === 401) void reroute();
  }
}

export function view(title: string, ...children: Node[]): void {
  stopStream?.();
  stopStream = null;
  document.title = `${title} · Semente console`;
  const heading = h("h1", { tabindex: "-1" }, title);
  main.replaceChildren(heading, ...children);
  heading.focus();
}

export function select(
  id: string,
  label: string,
  options: string[],
  value: string,
): [HTMLLabelElement, HTMLSelectElement] {
  const s = h("select", { id, name: id }, h("option", { value: "" }, "any"));
  for (const o of options) s.append(h("option", { value: o, ...(o === value ? { selected: true } : {}) }, o));
  return [h("label", { for: id }, label), s];
}

/** A table with a caption and one header row; rows go into the returned body. */
export function table(
  attrs: Record<string, string>,
  caption: string,
  columns: string[],
): [HTMLTableElement, HTMLTableSectionElement] {
  const body = h("tbody");
  const t = h(
    "table",
    attrs,
    h("caption", {}, caption),
    h("thead", {}, h("tr", {}, ...columns.map((c) => h("th", { scope: "col" }, c)))),
    body,
  );
  return [t, body];
}

/** Calls `fn` once, shortly after the last of a burst of calls. */
export function debounced(fn: () => unknown, ms = 200): () => void {
  let timer: ReturnType<typeof setTimeout> | undefined;
  return () => {
    clearTimeout(timer);
    timer = setTimeout(fn, ms);
  };
}
