/** The sign-in view: paste a bearer token, or mint a dev one where the gateway allows it (isolated dev only). */
import { ApiError } from "./api.ts";
import { TOKEN_KEY } from "./session.ts";
import { guard, h, say, signOut, view } from "./ui.ts";

export async function signInView(route: () => Promise<void>): Promise<void> {
  signOut.hidden = true;
  const input = h("textarea", { id: "token", name: "token", rows: "4", required: true, autocomplete: "off" });
  const form = h(
    "form",
    {
      onsubmit: (e: Event) => {
        e.preventDefault();
        sessionStorage.setItem(TOKEN_KEY, input.value.trim());
        // Changing the hash routes (hashchange); only an unchanged hash needs a direct call.
        if (location.hash === "#/runs") void route();
        else location.hash = "#/runs";
      },
    },
    h("label", { for: "token" }, "Bearer token"),
    input,
    h("button", { type: "submit" }, "Sign in"),
  );
  view("Sign in", form);
  const config = (await (await fetch("/console/config.json")).json()) as { dev_tokens: boolean };
  if (config.dev_tokens) {
    form.append(
      h(
        "button",
        {
          type: "button",
          id: "dev-token",
          onclick: () =>
            guard(async () => {
              const res = await fetch("/console/dev-token", { method: "POST" });
              if (!res.ok) throw new ApiError(res.status, "dev token refused");
              input.value = ((await res.json()) as { token: string }).token;
              say("Dev token minted (isolated dev only); sign in to use it.");
            }),
        },
        "Mint a dev token",
      ),
    );
  }
}
