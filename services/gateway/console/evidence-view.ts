/** The run's evidence: the checklist, the dataset digest, the signed envelope to download, and its signature check. */
import { client, ok } from "./api.ts";
import { token } from "./session.ts";
import { h } from "./ui.ts";
import { decodePayload, type Envelope, type SignatureStatus, verifyEnvelope } from "./verify.ts";

export async function showEvidence(id: string, section: HTMLElement): Promise<void> {
  const text = ok(
    await client.GET("/api/v1/seed-runs/{id}/evidence", { params: { path: { id } }, parseAs: "text" }),
  ) as string;
  const envelope = JSON.parse(text) as Envelope;
  const report = decodePayload(envelope) as {
    dataset: { digest: string | null; matches_recorded: boolean };
    checklist: { id: string; status: string; summary: string }[];
  };
  const sig = h("p", { id: "signature" }, "Signature: checking…");
  const list = h("ul", { id: "checklist" });
  for (const c of report.checklist) {
    list.append(h("li", { "data-status": c.status }, h("strong", {}, `${c.id}: ${c.status}`), ` — ${c.summary}`));
  }
  const href = URL.createObjectURL(new Blob([text], { type: "application/json" }));
  section.replaceChildren(
    h("h2", {}, "Evidence"),
    h(
      "p",
      { id: "digest" },
      `Dataset digest: ${report.dataset.digest ?? "-"}${report.dataset.matches_recorded ? " (matches the run)" : ""}`,
    ),
    sig,
    h("h3", {}, "Checklist"),
    list,
    h("a", { href, download: `evidence-${id}.dsse.json`, id: "download" }, "Download the signed envelope"),
  );
  // Not in this branch's contract yet (the JWKS route is another issue's): a plain fetch.
  const keys = await fetch("/api/v1/evidence/keys", { headers: { Authorization: `Bearer ${token()}` } });
  if (!keys.ok) {
    sig.textContent = "Signature: not checked (this gateway publishes no evidence keys)";
    sig.dataset.status = "unchecked";
    return;
  }
  const result = await verifyEnvelope(envelope, (await keys.json()) as { keys?: [] });
  sig.dataset.status = result.status;
  sig.textContent = signatureText(result);
}

function signatureText(result: SignatureStatus): string {
  return result.status === "valid"
    ? `Signature: valid (key ${result.keyid})`
    : result.status === "unknown-key"
      ? `Signature: signed by an unknown key (${result.keyids.join(", ")})`
      : `Signature: ${result.status} (${result.reason})`;
}
